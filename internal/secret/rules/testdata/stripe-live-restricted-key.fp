STRIPE_RESTRICTED_KEY=rk_live_<restricted_key>
rk_live_ozKYNXqE57 (cut)
Restricted keys (rk_live_) limit access to the resources you choose.
