"""The API's addresses as the tests call them."""

CONFIGS = "/api/v1/admin/configs"
PUT = f"{CONFIGS}?config_type=storage"
POLICY = f"{CONFIGS}/policy"
VALIDATE = f"{CONFIGS}/validate"
EXTERNAL_ID = f"{CONFIGS}/external_id"
