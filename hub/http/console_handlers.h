#pragma once
// The web console (/console) and the sign-in of personal accounts (/v1/console/*).
//   GET  /console, /console/{file}   the console's page, scripts and style, compiled in
//                                    (cmake/embed_files.cmake) and served under a strict
//                                    Content-Security-Policy: no inline code, nothing from
//                                    another site, so it works without internet
//   POST /v1/console/login           login + password -> session cookie and CSRF token
//   GET  /v1/console/session         who is signed in, their rights and the CSRF token
//   POST /v1/console/logout          ends this session
//   POST /v1/console/logout-everywhere  ends every session of the account
// session_principal() lets every authenticated route accept the session cookie in place of a
// partner token (HttpServer::handle), with the scopes and units of the account's role
// (hub/auth/accounts.h). Handlers are thread-safe.

#include <string>
#include <string_view>

#include "hub/auth/accounts.h"
#include "hub/http/router.h"

namespace hub {

struct Config;

// Content-Security-Policy of the console's files.
extern const char* const kConsoleContentSecurityPolicy;

// The value of cookie `name` in a Cookie header, "" if absent.
std::string cookie_value(std::string_view cookie_header, std::string_view name);

// The Principal of a request carrying a session cookie. Throws 401 auth.session_invalid for a
// missing, expired or ended session (clearing the cookie), and 403 auth.csrf when a request other
// than GET/HEAD does not send the session's CSRF token in X-CSRF-Token.
Principal session_principal(auth::Accounts& accounts, const HttpRequest& req, const std::string& cookie,
                            bool secure_cookie);

void register_console_routes(Router& router, const Config& config, auth::Accounts& accounts);

}  // namespace hub
