#!/bin/sh
# test_dns_netns_nflog.sh - test_dns_netns.sh with the NFLOG capture
# (dns.capture: nflog): the same suite, the same namespace setup.
here=$(cd "$(dirname "$0")" && pwd)
DNS_CAPTURE=nflog exec sh "$here/test_dns_netns.sh" "$@"
