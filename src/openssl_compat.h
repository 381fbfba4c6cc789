/*
 * openssl_compat.h - the few OpenSSL calls that differ between 1.0.2
 * (RHEL 7, SLES 12) and 1.1.0 or later, behind one name each.
 *
 * configure probes each newer call (HAVE_* in config.h) and
 * --enable-force-fallbacks leaves them all undefined, so the 1.0.2 branch
 * is compiled and unit-tested on any host (on 1.1+ the old names are
 * macros for the new ones, except where noted).  Header-only: the core
 * and every plugin that needs OpenSSL include it; plugins do not link
 * against the core.
 */
#ifndef VIGIL_OPENSSL_COMPAT_H
#define VIGIL_OPENSSL_COMPAT_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/*
 * OpenSSL 1.0.2 needs SSL_library_init() before anything else and, with
 * threads (FIM hashes on the libuv pool while forwarders use TLS on the
 * loop), a locking callback; 1.1.0 and later do both themselves.  Called
 * from every entry point below, so users need not remember it.  The
 * callback is installed only if none is (a plugin and the core each
 * carry this code; the first one in wins, and its mutexes are never
 * freed: OpenSSL may use them until the process exits).
 */
#ifndef HAVE_OPENSSL_INIT_SSL
static pthread_mutex_t *vigil__ossl_locks;

__attribute__((unused)) static void vigil__ossl_lock(int mode, int n,
						      const char *file,
						      int line)
{
	(void)file;
	(void)line;
	if (mode & CRYPTO_LOCK)
		pthread_mutex_lock(&vigil__ossl_locks[n]);
	else
		pthread_mutex_unlock(&vigil__ossl_locks[n]);
}

__attribute__((unused)) static unsigned long vigil__ossl_thread_id(void)
{
	return (unsigned long)pthread_self();
}

__attribute__((unused)) static void vigil__ossl_init_once(void)
{
	SSL_library_init();
	SSL_load_error_strings();
	OpenSSL_add_all_digests();
	if (CRYPTO_get_locking_callback() == NULL && CRYPTO_num_locks() > 1) {
		int n = CRYPTO_num_locks();

		vigil__ossl_locks = calloc((size_t)n, sizeof(*vigil__ossl_locks));
		if (!vigil__ossl_locks)
			return; /* single-threaded use still works */
		for (int i = 0; i < n; i++)
			pthread_mutex_init(&vigil__ossl_locks[i], NULL);
		CRYPTO_set_id_callback(vigil__ossl_thread_id);
		CRYPTO_set_locking_callback(vigil__ossl_lock);
	}
}
#endif

/* Makes OpenSSL ready for use from any thread.  Idempotent. */
static inline void vigil_openssl_init(void)
{
#ifndef HAVE_OPENSSL_INIT_SSL
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, vigil__ossl_init_once);
#endif
}

/* A digest context (NULL when out of memory); vigil_md_ctx_free frees it. */
static inline EVP_MD_CTX *vigil_md_ctx_new(void)
{
	vigil_openssl_init();
#ifdef HAVE_EVP_MD_CTX_NEW
	return EVP_MD_CTX_new();
#else
	return EVP_MD_CTX_create();
#endif
}

static inline void vigil_md_ctx_free(EVP_MD_CTX *ctx)
{
#ifdef HAVE_EVP_MD_CTX_NEW
	EVP_MD_CTX_free(ctx);
#else
	EVP_MD_CTX_destroy(ctx);
#endif
}

/*
 * A client SSL_CTX that negotiates TLS 1.2 or newer only (NULL on
 * failure, with the reason on OpenSSL's error queue).  The caller owns it.
 * 1.0.2 has no minimum version: the older protocols are switched off one
 * by one, which 1.1+ still honours (this branch is the real fallback
 * code, not a macro, when fallbacks are forced).
 */
static inline SSL_CTX *vigil_ssl_ctx_new_client(void)
{
	SSL_CTX *ctx;

	vigil_openssl_init();
#ifdef HAVE_TLS_CLIENT_METHOD
	ctx = SSL_CTX_new(TLS_client_method());
#else
	ctx = SSL_CTX_new(SSLv23_client_method());
#endif
	if (!ctx)
		return NULL;
#ifdef HAVE_SSL_CTX_SET_MIN_PROTO_VERSION
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
#else
	SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 |
					 SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
#endif
	return ctx;
}

/*
 * Makes the handshake of ssl check that the peer's certificate names
 * host.  Returns 1 on success, as OpenSSL does.  1.0.2 has no
 * SSL_set1_host; 1.1.0's is this same call on the connection's verify
 * parameters.
 */
static inline int vigil_ssl_set_host(SSL *ssl, const char *host)
{
#ifdef HAVE_SSL_SET1_HOST
	return SSL_set1_host(ssl, host);
#else
	return X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), host, 0);
#endif
}

#endif /* VIGIL_OPENSSL_COMPAT_H */
