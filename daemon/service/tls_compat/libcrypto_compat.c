/* civetweb 1.15 also opens dlopen("libcrypto.so") (libssl_compat.c explains
 * why). This library is named libcrypto.so by its SONAME and depends on
 * libcrypto.so.3, where every symbol civetweb looks up is found. */
int lifetrace_libcrypto_compat;
int lifetrace_libcrypto_compat = 1;
