https://contosoprodlogs.blob.core.windows.net/backups/db.bak?sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2026-12-31T23:59:59Z&spr=https&sig=<signature>
https://contosoprodlogs.blob.core.windows.net/backups/db.bak?sv=2022-11-02&sp=r&sig=REDACTED
https://cdn.contoso.net/img/logo.png?width=200&sig=ekDiR2tjnN0jg4knJsAbcgIx17eTfI0mq6z%2FAO3rETY%3D
https://contosoprodlogs.blob.core.windows.net/backups/db.bak?sv=2022-11-02&ss=b&srt=sco&sp=rl&sig=%2Fabc
