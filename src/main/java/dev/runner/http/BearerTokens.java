package dev.runner.http;

import dev.runner.config.TrustSettings;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The API's bearer tokens (RUNNER_API_TOKENS, RUNNER_API_TOKENS_FILE): every request but
 * {@code GET /health} must carry {@code Authorization: Bearer <token>} with an accepted token, else
 * it gets a 401 with {@code WWW-Authenticate: Bearer}, before its body is read. Tokens are compared
 * by their SHA-256 digests with {@link java.security.MessageDigest#isEqual}, against every accepted
 * one, so the time taken says nothing about how much of a token was right.
 */
final class BearerTokens implements Handler<RoutingContext> {
  private static final String SCHEME = "Bearer ";
  private final TrustSettings trust;

  BearerTokens(TrustSettings trust) {
    this.trust = trust;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.request().method() == HttpMethod.GET && "/health".equals(ctx.normalizedPath())) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    boolean bearer = header != null && header.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    if (bearer && trust.acceptsToken(header.substring(SCHEME.length()).trim())) {
      ctx.next();
      return;
    }
    HttpServerResponse response = ctx.response();
    // The body (if any) is not read: this connection cannot carry another request.
    if (!ctx.request().isEnded()) response.putHeader(HttpHeaders.CONNECTION, "close");
    String message = bearer ? "the API token is not valid" : "an API token is required: Authorization: Bearer <token>";
    response.setStatusCode(401)
        .putHeader("www-authenticate", bearer ? "Bearer error=\"invalid_token\"" : "Bearer")
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .end(new JsonObject().put("error", message).put("status", 401).encode());
  }
}
