/*
 * auth.h - authentication and protocol detection at the WebSocket upgrade
 * (DESIGN.md, the protocol table).  Pure functions over what the handshake
 * gave us: no libwebsockets types here, so this file is unit-testable.
 *
 *   Authorization   protocol   accepted when
 *   none            exotel     Exotel on and peer address in the allow-list
 *   Basic           exotel     Exotel on and key:token matches (constant time)
 *   Bearer          native     JWT verifies (pinned alg, exp/nbf, never none)
 *
 * Refusals, as (status, why); why is a fixed phrase, never data from the
 * request nor a secret, and auth_reason() maps it to a metrics label:
 *
 *   401 "missing authorization"          no header, Exotel off
 *   401 "malformed authorization"        e.g. "Basic !!!", "Bearer" alone
 *   401 "unsupported authorization scheme"  e.g. "Digest ..."
 *   401 "basic credentials required"     no header, Exotel on, pairs configured,
 *                                        peer not in the allow-list (if any)
 *   401 "basic bad credentials"
 *   401 "jwt ..."                        see jwt_strerror() in jwt.h: "jwt
 *                                        expired", "jwt bad signature", "jwt alg
 *                                        none refused", "jwt alg mismatch", ...
 *   403 "exotel disabled"                Basic header, Exotel off
 *   403 "ip not allowed"                 no header, peer not in the allow-list
 *   403 "exotel no auth configured: set EXOTEL_ALLOW_IPS or EXOTEL_BASIC_AUTH"
 *                                        Exotel on, neither configured (the
 *                                        secure default)
 *
 * A Basic header when no pairs are configured is judged by the allow-list
 * alone, as if absent (Exotel sends one when its URL carries user:pass).
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "protocol.h"

struct auth_config;	/* opaque; owned by the caller of auth_config_new */

/*
 * Build the configuration from the environment: SUPPORT_EXOTEL
 * (true/false/yes/no/on/off/1/0, default false), EXOTEL_ALLOW_IPS,
 * EXOTEL_BASIC_AUTH, JWT_SECRET, JWT_PUBLIC_KEY, JWT_LEEWAY (seconds,
 * 0..600, default 30), JWT_AUDIENCE, JWT_ISSUER, TRUSTED_PROXIES.  The
 * address lists (EXOTEL_ALLOW_IPS, TRUSTED_PROXIES) and EXOTEL_BASIC_AUTH
 * may also be "@/path/file", one or more entries a line, '#' comments.  On a bad value writes
 * the reason (naming the variable, never a secret) into err and returns
 * NULL.  The caller owns the result; free it with auth_config_free.
 */
struct auth_config *auth_config_new(char *err, size_t errlen);
void auth_config_free(struct auth_config *cfg);

/* One line describing what is enabled, for the start-up log (no secrets). */
void auth_config_describe(const struct auth_config *cfg, char *out, size_t len);

/*
 * A configuration that works but is probably not what the operator
 * meant (Exotel on with nothing to admit it, Exotel settings ignored
 * because SUPPORT_EXOTEL is off, an HS256 secret under 32 bytes, no JWT
 * key so native clients are all refused).  Writes them as one line, "; "
 * between them, into out and returns 1, or returns 0 when there is
 * nothing to say.
 */
int auth_config_warning(const struct auth_config *cfg, char *out, size_t len);

/*
 * The WWW-Authenticate value to send with a 401: Bearer, plus Basic when
 * Exotel credentials are configured.  Static string.
 */
const char *auth_challenge(const struct auth_config *cfg);

/* What a successful check learned; strings are NUL-terminated copies. */
struct auth_result {
	enum protocol protocol;	/* PROTOCOL_EXOTEL or PROTOCOL_NATIVE */
	char method[16];	/* "ip", "basic", "jwt" */
	char principal[128];	/* allow-list entry, basic key, or JWT sub */
	char tenant[128];	/* JWT tenant_id / tenant claim, else "" */
	char claims[4096];	/* the JWT payload as compact JSON, else "" */
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

/*
 * The address the allow-list should judge, for a ws-accept behind a
 * balancer that terminates TLS.  When TRUSTED_PROXIES (CIDRs, default
 * none) holds the peer and xff (the X-Forwarded-For value, several
 * headers joined with ',', borrowed, may be NULL) is not empty, the
 * client is the right-most address in it that is not itself a trusted
 * proxy (the left part is whatever the client wrote, so it is never
 * believed); otherwise the peer.  Fills *out and returns 1 (from the
 * header) or 0 (the peer); -1 when a trusted proxy sent a header that is
 * not a list of addresses (refuse with 400).  Not consulted for Basic or
 * Bearer: those do not depend on the address.
 */
int auth_client_address(const struct auth_config *cfg,
    const struct sockaddr *peer, const char *xff,
    struct sockaddr_storage *out);

/* auth_check at a given time (for tests): JWT exp/nbf are judged at now. */
int auth_check_at(const struct auth_config *cfg, const char *authorization,
    const struct sockaddr *peer, time_t now, struct auth_result *res,
    char *why, size_t whylen);

/*
 * The metrics label of a why from auth_check ("jwt expired" ->
 * "jwt_expired", the long Exotel one -> "exotel_no_auth_configured");
 * "other" for anything else.  Static string, [a-z_] only.
 */
const char *auth_reason(const char *why);

/* Constant-time comparison of two byte strings (length leaks, content not). */
int ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
