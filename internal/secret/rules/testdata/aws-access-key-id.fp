aws_access_key_id = AKIAIOSFODNN7EXAMPLE
    "UserId": "AIDAQFJ5X3S2ER3A6OJKN",
    "RoleId": "AROAG3O7REYQJAVZESW3C",
# key ids look like AKIA plus sixteen more, e.g. AKIASHWQOB4I (cut)
blob = "AKIAGS3I57FSX3DUAGPMBFZYTA"
aws_access_key_id = AKIAXXXXXXXXXXXXXXXX
