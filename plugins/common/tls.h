/*
 * tls.h - TLS for the forwarders without any socket of its own: OpenSSL
 * runs over two memory BIOs, the forwarder moves the bytes with libuv.
 * Ciphertext read from the socket goes in through vigil_tls_feed();
 * plaintext to send goes through vigil_tls_encrypt(); both hand back the
 * bytes to write to the socket.  So TLS never blocks the loop, and the
 * same code serves the forward and syslog outputs.
 *
 * Client side only.  Verification of the server certificate (chain and
 * host name) is on unless the configuration turns it off.
 */
#ifndef VIGIL_TLS_H
#define VIGIL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <vigil/plugin.h>

struct vigil_tls_opts {
	const char *ca_file;     /* NULL: the system's trust store */
	const char *cert_file;   /* client certificate (chain), optional */
	const char *key_file;    /* its key; required with cert_file */
	bool verify;             /* check the chain and the host name */
};

/*
 * Entries of a plugin's table (vigil/confmap.h) for the struct
 * vigil_tls_opts member m of T: tls.ca_file, tls.cert_file, tls.key_file
 * (absolute paths) and tls.verify (true).
 */
#define VIGIL_TLS_ENTRIES(T, m)                                                \
	{ VIGIL_CFG_PATH("tls.ca_file", T, m.ca_file, NULL,                    \
			 "default: the system's trust store") },               \
	{ VIGIL_CFG_PATH("tls.cert_file", T, m.cert_file, NULL,                \
			 "client certificate") },                              \
	{ VIGIL_CFG_PATH("tls.key_file", T, m.key_file, NULL,                  \
			 "its key") },                                         \
	{ VIGIL_CFG_BOOL("tls.verify", T, m.verify, 1,                         \
			 "check the server's certificate and name") }

/* A TLS configuration (SSL_CTX), shared by the connections of a plugin. */
struct vigil_tls_ctx;
/* One connection. */
struct vigil_tls;

/*
 * Builds a client context.  On failure returns a negative errno and a
 * sentence for the user in err[errlen] (which file, what OpenSSL said).
 */
int vigil_tls_ctx_new(const struct vigil_tls_opts *o,
		      struct vigil_tls_ctx **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void vigil_tls_ctx_free(struct vigil_tls_ctx *c);

/*
 * Starts a connection to server_name (SNI and the name checked against
 * the certificate): appends the ClientHello to net_out.  0 or -errno.
 */
int vigil_tls_start(struct vigil_tls_ctx *c, const char *server_name,
		    struct vigil_tls **out, struct vigil_buf *net_out)
	__attribute__((warn_unused_result));
void vigil_tls_free(struct vigil_tls *t);

/*
 * Feeds ciphertext read from the socket.  Appends decrypted application
 * data to plain_out and handshake bytes to send to net_out.  Returns 0,
 * or -EPROTO (handshake or record failure, e.g. an untrusted certificate)
 * with the reason in err[errlen].
 */
int vigil_tls_feed(struct vigil_tls *t, const void *data, size_t len,
		   struct vigil_buf *plain_out, struct vigil_buf *net_out,
		   char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* True once the handshake has completed. */
bool vigil_tls_ready(const struct vigil_tls *t);

/*
 * Encrypts plaintext (only once ready) and appends the records to
 * net_out.  0, -EAGAIN before the handshake is done, or -EPROTO.
 */
int vigil_tls_encrypt(struct vigil_tls *t, const void *data, size_t len,
		      struct vigil_buf *net_out)
	__attribute__((warn_unused_result));

#endif /* VIGIL_TLS_H */
