TWILIO_API_KEY=SKxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
twilio api keys start with SK; create them in the console.
sku: SK186ee5fe0bbb6ae00407ad848cea9f37
twilio key id (cut): SK97059594e1bcd07f4836
