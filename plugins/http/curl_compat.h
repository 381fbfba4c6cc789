/*
 * curl_compat.h - libcurl calls that differ between the oldest supported
 * libcurl (7.29, RHEL 7) and current ones, behind one name each.
 *
 * configure defines HAVE_CURLOPT_PROTOCOLS_STR for libcurl >= 7.85;
 * --enable-force-fallbacks leaves it undefined so the bitmask branch is
 * compiled and unit-tested on a new libcurl too.
 */
#ifndef VIGIL_CURL_COMPAT_H
#define VIGIL_CURL_COMPAT_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <curl/curl.h>

/*
 * Limits the easy handle e to HTTP and HTTPS (no file://, no other
 * scheme a URL or a redirect could name).  Returns curl's code.
 * CURLOPT_PROTOCOLS_STR replaced the bitmask in 7.85, which marks the
 * bitmask deprecated; libcurl still honours it, so the fallback silences
 * only that warning.
 */
static inline CURLcode vigil_curl_http_only(CURL *e)
{
#ifdef HAVE_CURLOPT_PROTOCOLS_STR
	return curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	CURLcode rc;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	rc = curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			      (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#pragma GCC diagnostic pop
	return rc;
#endif
}

#endif /* VIGIL_CURL_COMPAT_H */
