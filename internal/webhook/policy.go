package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy decides which addresses webhook callouts may reach. The zero value is the default:
// public and private addresses, never loopback, link-local (which holds the cloud metadata
// services, 169.254.169.254 and fd00:ec2::254), unspecified or multicast addresses.
type Policy struct {
	// AllowLoopback lets callouts reach 127.0.0.0/8 and ::1, for tests and local development
	// (--webhook-allow-loopback, SWITCHBOARD_WEBHOOK_ALLOW_LOOPBACK).
	AllowLoopback bool
	// Resolver looks host names up; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// metadata are cloud metadata addresses outside the link-local ranges.
var metadata = []netip.Prefix{
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IMDS over IPv6
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata
}

// CheckAddr reports why a callout may not go to ip, or nil when it may.
func (p Policy) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		if p.AllowLoopback {
			return nil
		}
		return fmt.Errorf("%s is a loopback address (allowed only with --webhook-allow-loopback)", ip)
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return fmt.Errorf("%s is a link-local address (cloud metadata services live there)", ip)
	case ip.IsUnspecified():
		return fmt.Errorf("%s is the unspecified address", ip)
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("%s is a multicast address", ip)
	}
	for _, m := range metadata {
		if m.Contains(ip) {
			return fmt.Errorf("%s is a cloud metadata address", ip)
		}
	}
	return nil
}

// CheckURL checks a webhook or deactivation URL when it is saved: an absolute http(s) URL whose
// host is not, and does not resolve to, an address the policy refuses. field names the URL in
// the error.
func (p Policy) CheckURL(ctx context.Context, field, raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http or https URL.", field)
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry a user name or password.", field)
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.CheckAddr(ip); err != nil {
			return fmt.Errorf("%s is refused: %v.", field, err)
		}
		return nil
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") && !p.AllowLoopback {
		return fmt.Errorf("%s is refused: localhost is a loopback address (allowed only with --webhook-allow-loopback).", field)
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// A name that does not resolve (yet, or from here) is accepted: its callouts fail until it
	// does, and the dial-time check still applies to whatever it resolves to then.
	addrs, _ := r.LookupNetIP(lctx, "ip", host)
	for _, a := range addrs {
		if err := p.CheckAddr(a); err != nil {
			return fmt.Errorf("%s is refused: %s resolves to %v.", field, host, err)
		}
	}
	return nil
}

// errRefused marks a connection the policy refused at dial time.
var errRefused = errors.New("webhook: address refused by policy")

// control is the dialer's Control: it sees the address actually being connected to, after name
// resolution, so a name that resolved to an allowed address when the webhook was saved cannot
// be re-pointed at a refused one (DNS rebinding).
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errRefused, address)
	}
	if err := p.CheckAddr(ap.Addr()); err != nil {
		return fmt.Errorf("%w: %v", errRefused, err)
	}
	return nil
}
