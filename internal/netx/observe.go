package netx

import "sync/atomic"

// Dial is one outbound connection attempt of a client built here: to its
// destination or to its proxy, allowed or refused by the allowlist.
type Dial struct {
	Network, Addr string
	// Proxy says Addr is the client's proxy.
	Proxy bool
	// Denied says the allowlist refused the destination: no connection
	// was made.
	Denied bool
}

var observer atomic.Pointer[func(Dial)]

// Observe sets the function told of every outbound connection attempt of
// every client built by this package, in this process (nil: none). The
// server logs and counts refused ones; the zero-egress test records all of
// them. It must not block.
func Observe(f func(Dial)) {
	if f == nil {
		observer.Store(nil)
		return
	}
	observer.Store(&f)
}

func observe(d Dial) {
	if f := observer.Load(); f != nil {
		(*f)(d)
	}
}
