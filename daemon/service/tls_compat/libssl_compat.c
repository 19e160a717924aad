/* What Debian 12's civetweb (1.15) needs from OpenSSL 3, which it loads with
 * dlopen("libssl.so") and dlsym() of OpenSSL 1.1's names (docs/daemon.md,
 * "TLS and Debian's civetweb"):
 *
 * - OpenSSL 3.0 renamed SSL_get_peer_certificate to SSL_get1_peer_certificate
 *   (same semantics: a new reference); the old name survives only as a macro
 *   in <openssl/ssl.h>, so libssl.so.3 has no such symbol. civetweb's lookup
 *   leaves its pointer NULL and calls it on every TLS connection: a crash
 *   (Debian's own `civetweb` program segfaults the same way).
 * - The unversioned name "libssl.so" only exists with libssl-dev installed.
 *
 * This library is called libssl.so by its SONAME: once the daemon has loaded
 * it (by full path, service/endpoint.cpp), glibc's dlopen("libssl.so") finds
 * it by that name before searching the disk. It depends on libssl.so.3, so
 * every other symbol civetweb looks up in it resolves to OpenSSL's own.
 *
 * No OpenSSL header on purpose: they #define the old name to the new one. */
typedef struct ssl_st SSL;
typedef struct x509_st X509;

X509* SSL_get1_peer_certificate(const SSL* s);

X509* SSL_get_peer_certificate(const SSL* s);
X509* SSL_get_peer_certificate(const SSL* s) { return SSL_get1_peer_certificate(s); }
