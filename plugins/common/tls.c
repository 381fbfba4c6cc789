/*
 * tls.c - OpenSSL over memory BIOs for the forwarders (see tls.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "openssl_compat.h"
#include "tls.h"

#define TLS_IO_CHUNK 16384

struct vigil_tls_ctx {
	SSL_CTX *ctx;
	bool verify;
};

struct vigil_tls {
	SSL *ssl;
	BIO *rbio; /* network -> ssl, owned by ssl */
	BIO *wbio; /* ssl -> network, owned by ssl */
	bool ready;
};

/* The first OpenSSL error (and the verify result) as a sentence. */
static void ssl_reason(const SSL *ssl, char *err, size_t errlen,
		       const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (vr != X509_V_OK)
		snprintf(err, errlen, "%s: certificate verification failed: %s",
			 what, X509_verify_cert_error_string(vr));
	else
		snprintf(err, errlen, "%s: %s", what, buf[0] ? buf : "failed");
}

int vigil_tls_ctx_new(const struct vigil_tls_opts *o,
		      struct vigil_tls_ctx **out, char *err, size_t errlen)
{
	struct vigil_tls_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	/* TLS 1.2 or newer */
	c->ctx = vigil_ssl_ctx_new_client();
	if (!c->ctx) {
		ssl_reason(NULL, err, errlen, "SSL_CTX_new");
		goto out_free;
	}
	c->verify = o->verify;
	if (o->verify) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (o->ca_file ?
			    SSL_CTX_load_verify_locations(c->ctx, o->ca_file,
							  NULL) != 1 :
			    SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
			ssl_reason(NULL, err, errlen,
				   o->ca_file ? o->ca_file :
						"the system trust store");
			goto out_ctx;
		}
	}
	if (o->cert_file || o->key_file) {
		if (!o->cert_file || !o->key_file) {
			snprintf(err, errlen,
				 "tls.cert_file and tls.key_file go together");
			goto out_ctx;
		}
		if (SSL_CTX_use_certificate_chain_file(c->ctx, o->cert_file) !=
		    1) {
			ssl_reason(NULL, err, errlen, o->cert_file);
			goto out_ctx;
		}
		if (SSL_CTX_use_PrivateKey_file(c->ctx, o->key_file,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(c->ctx) != 1) {
			ssl_reason(NULL, err, errlen, o->key_file);
			goto out_ctx;
		}
	}
	*out = c;
	return 0;

out_ctx:
	SSL_CTX_free(c->ctx);
out_free:
	free(c);
	return -EINVAL;
}

void vigil_tls_ctx_free(struct vigil_tls_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

/* Moves everything OpenSSL wrote for the network into net_out. */
static int drain(struct vigil_tls *t, struct vigil_buf *net_out)
{
	while (BIO_ctrl_pending(t->wbio)) {
		int n;

		if (vigil_buf_reserve(net_out, TLS_IO_CHUNK))
			return -ENOMEM;
		n = BIO_read(t->wbio, net_out->data + net_out->len,
			     TLS_IO_CHUNK);
		if (n <= 0)
			break;
		net_out->len += (size_t)n;
	}
	return 0;
}

/* Drives the handshake; 0 (done or waiting for bytes) or -EPROTO. */
static int handshake(struct vigil_tls *t, struct vigil_buf *net_out,
		     char *err, size_t errlen)
{
	int rc = SSL_do_handshake(t->ssl);

	if (rc == 1) {
		t->ready = true;
	} else {
		int e = SSL_get_error(t->ssl, rc);

		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			ssl_reason(t->ssl, err, errlen, "TLS handshake");
			drain(t, net_out); /* the alert, if any */
			return -EPROTO;
		}
	}
	return drain(t, net_out);
}

int vigil_tls_start(struct vigil_tls_ctx *c, const char *server_name,
		    struct vigil_tls **out, struct vigil_buf *net_out)
{
	struct vigil_tls *t = calloc(1, sizeof(*t));
	char err[64];

	if (!t)
		return -ENOMEM;
	t->ssl = SSL_new(c->ctx);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rbio || !t->wbio) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		goto out_free;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_connect_state(t->ssl);
	if (server_name && *server_name) {
		SSL_set_tlsext_host_name(t->ssl, server_name);
		if (c->verify && vigil_ssl_set_host(t->ssl, server_name) != 1)
			goto out_free;
	}
	if (handshake(t, net_out, err, sizeof(err)))
		goto out_free;
	*out = t;
	return 0;

out_free:
	if (t->ssl)
		SSL_free(t->ssl);
	free(t);
	ERR_clear_error();
	return -EPROTO;
}

void vigil_tls_free(struct vigil_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

bool vigil_tls_ready(const struct vigil_tls *t)
{
	return t->ready;
}

int vigil_tls_feed(struct vigil_tls *t, const void *data, size_t len,
		   struct vigil_buf *plain_out, struct vigil_buf *net_out,
		   char *err, size_t errlen)
{
	const char *p = data;

	while (len) {
		int n = BIO_write(t->rbio, p, len > INT32_MAX ? INT32_MAX :
								(int)len);

		if (n <= 0)
			return -ENOMEM;
		p += n;
		len -= (size_t)n;
	}
	if (!t->ready) {
		int rc = handshake(t, net_out, err, errlen);

		if (rc || !t->ready)
			return rc;
	}
	for (;;) {
		int n, e;

		if (vigil_buf_reserve(plain_out, TLS_IO_CHUNK))
			return -ENOMEM;
		n = SSL_read(t->ssl, plain_out->data + plain_out->len,
			     TLS_IO_CHUNK);
		if (n > 0) {
			plain_out->len += (size_t)n;
			continue;
		}
		e = SSL_get_error(t->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			break;
		if (e == SSL_ERROR_ZERO_RETURN) {
			snprintf(err, errlen, "TLS closed by the server");
			return -EPROTO;
		}
		ssl_reason(t->ssl, err, errlen, "TLS read");
		return -EPROTO;
	}
	/* post-handshake messages (tickets, key updates) may want out */
	return drain(t, net_out);
}

int vigil_tls_encrypt(struct vigil_tls *t, const void *data, size_t len,
		      struct vigil_buf *net_out)
{
	const char *p = data;

	if (!t->ready)
		return -EAGAIN;
	while (len) {
		int chunk = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;
		int n = SSL_write(t->ssl, p, chunk);

		if (n <= 0) {
			ERR_clear_error();
			return -EPROTO;
		}
		p += n;
		len -= (size_t)n;
		if (drain(t, net_out))
			return -ENOMEM;
	}
	return 0;
}
