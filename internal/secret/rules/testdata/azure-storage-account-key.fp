DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;
DefaultEndpointsProtocol=https;AccountName=contosoprodlogs;AccountKey=<account-key>;EndpointSuffix=core.windows.net
AZURE_STORAGE_CONNECTION_STRING=UseDevelopmentStorage=true
DefaultEndpointsProtocol=https;AccountName=contosoprodlogs;AccountKey=${STORAGE_ACCOUNT_KEY};EndpointSuffix=core.windows.net
the value after AccountKey= was cut: 06kcA7MnPA/I1uA4sCOxDIbZ+JCAPEPTGNElp7M7w5QLep9TEziN7Xh/vhle
