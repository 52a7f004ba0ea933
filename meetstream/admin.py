from django.contrib import admin

# The navigation sidebar takes a quarter of a 1280 px screen from every list; the breadcrumbs
# and the index page lead everywhere it does.
admin.site.enable_nav_sidebar = False
admin.site.site_header = "MeetStream administration"
admin.site.site_title = "MeetStream admin"
# "View site": the product's face is its API, so its docs page (`/` leads there too).
admin.site.site_url = "/api/docs/"
