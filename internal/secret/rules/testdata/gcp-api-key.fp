GOOGLE_API_KEY=AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
The key starts with AIzaKtbhg9 and is restricted to the Maps API.
blob AIzaul9iGCPSLYSh_SPKnCqJC_-sj0omSyW0Ae2w4Rmm ends here
maps key (revoked, cut): AIzaJ6X51jgS-d3oCVcJuVubWKhiIrGaCfizk8
