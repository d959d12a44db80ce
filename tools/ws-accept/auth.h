/*
 * auth.h - authentication and protocol detection at the WebSocket upgrade
 * (DESIGN.md, the protocol table).  Pure functions over what the handshake
 * gave us: no libwebsockets types here, so this file is unit-testable.
 *
 *   Authorization   protocol   accepted when
 *   none            exotel     Exotel on and peer address in the allow-list
 *   Basic           exotel     Exotel on and key:token matches (constant time)
 *   Bearer          native     JWT verifies (pinned alg, exp/nbf, never none)
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <sys/socket.h>

struct auth_config;	/* opaque; owned by the caller of auth_config_new */

/*
 * Build the configuration from the environment (SUPPORT_EXOTEL,
 * EXOTEL_ALLOW_IPS, EXOTEL_BASIC_AUTH, JWT_SECRET, JWT_PUBLIC_KEY,
 * JWT_LEEWAY, JWT_AUDIENCE, JWT_ISSUER).  Values set here override the
 * environment when not NULL.  On a bad value writes the reason (naming the
 * variable) into err and returns NULL.  Never logs secrets.
 */
struct auth_config *auth_config_new(char *err, size_t errlen);
void auth_config_free(struct auth_config *cfg);

/* One line describing what is enabled, for the start-up log (no secrets). */
void auth_config_describe(const struct auth_config *cfg, char *out, size_t len);

enum auth_protocol { PROTO_EXOTEL = 1, PROTO_NATIVE = 2 };

/* What a successful check learned; strings are NUL-terminated copies. */
struct auth_result {
	enum auth_protocol protocol;
	char method[16];	/* "ip", "basic", "jwt" */
	char principal[128];	/* allow-list entry, basic key, or JWT sub */
	char tenant[128];	/* JWT tenant_id / tenant claim, else "" */
	char claims[1024];	/* the JWT payload as compact JSON, else "" */
};

/*
 * Decide one upgrade.  authorization is the raw header value (borrowed,
 * may be NULL); peer is the remote address.  Returns 0 and fills *res when
 * accepted; otherwise the HTTP status to refuse with (401 or 403) and a
 * short reason for the log in why (e.g. "jwt expired", "ip not allowed").
 */
int auth_check(const struct auth_config *cfg, const char *authorization,
    const struct sockaddr *peer, struct auth_result *res,
    char *why, size_t whylen);

/* Constant-time comparison of two byte strings (length leaks, content not). */
int ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
