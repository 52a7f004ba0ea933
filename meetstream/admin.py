from django.contrib import admin

# The navigation sidebar takes a quarter of a 1280 px screen from every list; the breadcrumbs
# and the index page lead everywhere it does.
admin.site.enable_nav_sidebar = False
