/*
 * test_compat_fallbacks - the library calls with an old-distribution
 * fallback (src/openssl_compat.h, plugins/http/curl_compat.h) behave the
 * same whichever branch configure chose.  Built normally it checks the
 * current APIs; built with ./configure --enable-force-fallbacks it checks
 * the branches RHEL 7 and SLES 12 compile (OpenSSL 1.0.2, curl 7.29).
 *
 * tests/fixtures/tls/localhost.{crt,key}: a self-signed P-256 certificate
 * for DNS:localhost, valid for 100 years (openssl req -x509 -newkey ec
 * -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 * -subj /CN=localhost -addext subjectAltName=DNS:localhost).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>

#include "curl_compat.h"
#include "openssl_compat.h"

#define FIXTURE_CRT TEST_SRCDIR "/tests/fixtures/tls/localhost.crt"
#define FIXTURE_KEY TEST_SRCDIR "/tests/fixtures/tls/localhost.key"

static void test_forced_build_uses_every_fallback(void **state)
{
	(void)state;
#ifdef VIGIL_FORCED_FALLBACKS
	int newer = 0;
#ifdef HAVE_CURLOPT_PROTOCOLS_STR
	newer++;
#endif
#ifdef HAVE_TLS_CLIENT_METHOD
	newer++;
#endif
#ifdef HAVE_SSL_CTX_SET_MIN_PROTO_VERSION
	newer++;
#endif
#ifdef HAVE_SSL_SET1_HOST
	newer++;
#endif
#ifdef HAVE_EVP_MD_CTX_NEW
	newer++;
#endif
#ifdef HAVE_OPENSSL_INIT_SSL
	newer++;
#endif
#ifdef HAVE_CAPNG_SELECT_AMBIENT
	newer++;
#endif
#ifdef HAVE_LINUX_IOPRIO_H
	newer++;
#endif
	assert_int_equal(newer, 0);
	print_message("fallback build: every compat branch is the old one\n");
#else
	print_message("normal build: compat branches as configure found them\n");
#endif
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Fetches url with e (HTTP/HTTPS only when restrict_it) and returns
 * curl's code. */
static CURLcode fetch(const char *url, int restrict_it)
{
	CURL *e = curl_easy_init();
	CURLcode rc;

	assert_non_null(e);
	if (restrict_it)
		assert_int_equal(vigil_curl_http_only(e), CURLE_OK);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	rc = curl_easy_perform(e);
	curl_easy_cleanup(e);
	return rc;
}

static int file_protocol_built_in(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	for (const char *const *p = v->protocols; p && *p; p++)
		if (strcmp(*p, "file") == 0)
			return 1;
	return 0;
}

/* The http plugin's handles refuse file:// (a forwarder URL must never
 * read local files), and still try http://. */
static void test_curl_http_only_refuses_file_urls(void **state)
{
	char path[] = "/tmp/vigil-compat-XXXXXX";
	char url[64];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);
	if (!file_protocol_built_in()) {
		unlink(path);
		skip();
	}
	/* without the restriction this libcurl reads the file ... */
	assert_int_equal(fetch(url, 0), CURLE_OK);
	/* ... with it, it refuses the scheme */
	assert_int_equal(fetch(url, 1), CURLE_UNSUPPORTED_PROTOCOL);
	unlink(path);
	/* http stays allowed: nothing listens on port 1, so the connection
	 * is refused rather than the protocol */
	assert_int_equal(fetch("http://127.0.0.1:1/", 1), CURLE_COULDNT_CONNECT);
}

/* SHA-256("abc"), FIPS 180-2 appendix B.1, through the compat context. */
static void test_md_ctx_computes_sha256(void **state)
{
	static const unsigned char want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
	};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = vigil_md_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, "abc", 3), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
	vigil_md_ctx_free(ctx);
	assert_int_equal(len, 32);
	assert_memory_equal(md, want, 32);
}

#if OPENSSL_VERSION_NUMBER >= 0x10100000L
/* A server for the fixture certificate speaking TLS versions min..max. */
static SSL_CTX *server_ctx(int min, int max)
{
	SSL_CTX *s = SSL_CTX_new(TLS_server_method());

	assert_non_null(s);
	/* TLS 1.0/1.1 need level 0 on OpenSSL 3; the point is that the
	 * client refuses them by itself */
	SSL_CTX_set_security_level(s, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(s, min), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(s, max), 1);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(s, FIXTURE_CRT), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(s, FIXTURE_KEY,
						     SSL_FILETYPE_PEM),
			 1);
	return s;
}

/* Moves what one side wrote to the other's read BIO. */
static void pump(BIO *from, BIO *to)
{
	char buf[4096];
	int n;

	while ((n = BIO_read(from, buf, sizeof(buf))) > 0)
		assert_int_equal(BIO_write(to, buf, n), n);
}

/*
 * Runs a handshake between a client of cctx (checking the name host when
 * non-NULL) and a server of sctx over memory BIOs.  Returns 1 when both
 * finished, 0 when either failed; *verify gets the client's verify result.
 */
static int handshake(SSL_CTX *cctx, SSL_CTX *sctx, const char *host,
		     long *verify)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
	BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
	int c_done = 0, s_done = 0, ok = 0;

	assert_non_null(c);
	assert_non_null(s);
	SSL_set_bio(c, c_in, c_out);
	SSL_set_bio(s, s_in, s_out);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (host) {
		SSL_set_tlsext_host_name(c, host);
		assert_int_equal(vigil_ssl_set_host(c, host), 1);
	}
	for (int round = 0; round < 20 && !(c_done && s_done); round++) {
		int rc;

		if (!c_done) {
			rc = SSL_do_handshake(c);
			if (rc == 1)
				c_done = 1;
			else if (SSL_get_error(c, rc) != SSL_ERROR_WANT_READ)
				goto out;
		}
		pump(c_out, s_in);
		if (!s_done) {
			rc = SSL_do_handshake(s);
			if (rc == 1)
				s_done = 1;
			else if (SSL_get_error(s, rc) != SSL_ERROR_WANT_READ)
				goto out;
		}
		pump(s_out, c_in);
	}
	ok = c_done && s_done;
out:
	*verify = SSL_get_verify_result(c);
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
	return ok;
}

/* The forwarders' client context speaks TLS 1.2+ only: a server limited
 * to TLS 1.1 is refused, though this OpenSSL can still speak 1.1. */
static void test_tls_client_refuses_tls11_server(void **state)
{
	SSL_CTX *s11 = server_ctx(TLS1_VERSION, TLS1_1_VERSION);
	SSL_CTX *s12 = server_ctx(TLS1_2_VERSION, TLS1_2_VERSION);
	SSL_CTX *any = SSL_CTX_new(TLS_client_method());
	SSL_CTX *ours = vigil_ssl_ctx_new_client();
	long vr;

	(void)state;
	assert_non_null(any);
	assert_non_null(ours);
	SSL_CTX_set_security_level(any, 0);
	SSL_CTX_set_min_proto_version(any, TLS1_VERSION);
	SSL_CTX_set_security_level(ours, 0);
	/* control: a client that allows TLS 1.1 gets through */
	assert_int_equal(handshake(any, s11, NULL, &vr), 1);
	assert_int_equal(handshake(ours, s11, NULL, &vr), 0);
	assert_int_equal(handshake(ours, s12, NULL, &vr), 1);
	SSL_CTX_free(any);
	SSL_CTX_free(ours);
	SSL_CTX_free(s11);
	SSL_CTX_free(s12);
}

/* vigil_ssl_set_host: the certificate must name the host asked for. */
static void test_tls_host_check_rejects_other_names(void **state)
{
	SSL_CTX *s = server_ctx(TLS1_2_VERSION, 0);
	SSL_CTX *c = vigil_ssl_ctx_new_client();
	long vr = -1;

	(void)state;
	assert_non_null(c);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	assert_int_equal(SSL_CTX_load_verify_locations(c, FIXTURE_CRT, NULL), 1);
	assert_int_equal(handshake(c, s, "localhost", &vr), 1);
	assert_int_equal(vr, X509_V_OK);
	assert_int_equal(handshake(c, s, "collector.example.org", &vr), 0);
	assert_int_equal(vr, X509_V_ERR_HOSTNAME_MISMATCH);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
}
#else
static void test_tls_client_refuses_tls11_server(void **state)
{
	(void)state;
	skip(); /* the test server needs OpenSSL 1.1's version API */
}

static void test_tls_host_check_rejects_other_names(void **state)
{
	(void)state;
	skip();
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forced_build_uses_every_fallback),
		cmocka_unit_test(test_curl_http_only_refuses_file_urls),
		cmocka_unit_test(test_md_ctx_computes_sha256),
		cmocka_unit_test(test_tls_client_refuses_tls11_server),
		cmocka_unit_test(test_tls_host_check_rejects_other_names),
	};
	int rc;

	/* the system's openssl.cnf (MinProtocol, CipherString) must not
	 * decide what these tests see */
	setenv("OPENSSL_CONF", "/dev/null", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
