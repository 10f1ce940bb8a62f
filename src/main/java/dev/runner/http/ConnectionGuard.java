package dev.runner.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Caps the open connections (beyond the cap a new one is closed at once) and closes a connection that
 * does not send complete request headers within the header timeout, from when it opens and again
 * after each response. Only waiting for headers is timed here: while a request is being answered
 * (its job may run for minutes with the client silent) the connection is left alone; the body's own
 * timeouts are {@link BodyReader}'s.
 */
final class ConnectionGuard {
  private final Vertx vertx;
  private final int maxConnections;
  private final long headerTimeoutMs;
  private final Map<HttpConnection, Guarded> open = new IdentityHashMap<>();

  ConnectionGuard(Vertx vertx, int maxConnections, long headerTimeoutMs) {
    this.vertx = vertx;
    this.maxConnections = maxConnections;
    this.headerTimeoutMs = headerTimeoutMs;
  }

  /** The server's connection handler. */
  void opened(HttpConnection connection) {
    if (open.size() >= maxConnections) {
      connection.close();
      return;
    }
    Guarded g = new Guarded(connection);
    open.put(connection, g);
    connection.closeHandler(v -> {
      g.closed = true;
      g.cancelTimer();
      open.remove(connection);
    });
    g.awaitHeaders();
  }

  /** The router's first handler: a request's headers are complete, so its connection is busy until it is answered. */
  void requestArrived(RoutingContext ctx) {
    Guarded g = open.get(ctx.request().connection());
    if (g != null) {
      g.cancelTimer();
      g.active++;
      ctx.addEndHandler(ar -> {
        g.active--;
        g.awaitHeaders();
      });
    }
    ctx.next();
  }

  int openConnections() {
    return open.size();
  }

  private final class Guarded {
    final HttpConnection connection;
    int active;
    boolean closed;
    long timer = -1;

    Guarded(HttpConnection connection) {
      this.connection = connection;
    }

    void awaitHeaders() {
      if (closed || active > 0) return;
      cancelTimer();
      timer = vertx.setTimer(headerTimeoutMs, t -> {
        timer = -1;
        connection.close();
      });
    }

    void cancelTimer() {
      if (timer >= 0) vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
