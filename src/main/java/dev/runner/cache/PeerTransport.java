package dev.runner.cache;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.READ;

import dev.runner.cache.ContentCache.Kind;
import dev.runner.config.TrustSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes between nodes: a server streaming this node's files ({@code GET /cache/<kind>/<sha256>})
 * on the cluster host, and the client fetching a peer's into a temp file. With cluster TLS both are
 * mutual TLS under the cluster's CA, as the event bus is (the chain is checked, not the peer's name:
 * nodes are addressed by IP).
 */
final class PeerTransport {
  private static final Pattern PATH = Pattern.compile("/cache/(token|input)/([0-9a-f]{64})");

  private final Vertx vertx;
  private final DiskStore store;
  private final CacheSettings settings;
  private final TrustSettings.TlsSettings tls;
  private final HttpClient client;
  private volatile HttpServer server;

  PeerTransport(Vertx vertx, DiskStore store, CacheSettings settings, TrustSettings trust) {
    this.vertx = vertx;
    this.store = store;
    this.settings = settings;
    this.tls = trust == null ? null : trust.clusterTls();
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout(5_000).setIdleTimeout(30).setKeepAlive(true);
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(tls.keyCert()).setTrustOptions(tls.trust()).setVerifyHost(false);
    }
    this.client = vertx.createHttpClient(options);
  }

  /** Starts the server; its port. */
  Future<Integer> listen() {
    HttpServerOptions options = new HttpServerOptions().setHost(settings.host()).setPort(settings.port()).setIdleTimeout(60);
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(tls.keyCert()).setTrustOptions(tls.trust()).setClientAuth(ClientAuth.REQUIRED);
    }
    return vertx.createHttpServer(options).requestHandler(this::serve).listen().map(s -> {
      server = s;
      return s.actualPort();
    });
  }

  Future<Void> close() {
    Future<Void> s = server == null ? Future.succeededFuture() : server.close();
    return s.eventually(client::close);
  }

  private void serve(HttpServerRequest req) {
    Matcher m = PATH.matcher(req.path());
    if (req.method() != HttpMethod.GET || !m.matches()) {
      req.response().setStatusCode(404).end();
      return;
    }
    Kind kind = Kind.valueOf(m.group(1).toUpperCase(Locale.ROOT));
    String sha = m.group(2);
    Path path = store.pinForPeer(kind, sha); // only files the store knows: never a path a request makes up
    if (path == null) {
      req.response().setStatusCode(404).end();
      return;
    }
    vertx.executeBlocking(() -> {
      FileChannel ch = FileChannel.open(path, READ, NOFOLLOW_LINKS);
      return new Object[] {ch, ch.size()};
    }).onComplete(ar -> {
      if (ar.failed()) {
        store.unpin(kind, sha);
        req.response().setStatusCode(404).end();
        return;
      }
      FileReadStream file = new FileReadStream(vertx, (FileChannel) ar.result()[0]);
      req.response().putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(ar.result()[1]));
      file.pipeTo(req.response()).onComplete(done -> {
        file.close();
        store.unpin(kind, sha);
      });
    });
  }

  /**
   * Fetches a peer's bytes into {@code temp} (created, never opened through a link: CREATE_NEW
   * refuses an existing name), hashing them as they arrive; fails unless they are exactly
   * {@code bytes} long with this sha256. The caller moves or deletes {@code temp}.
   */
  private static final int WRITE_BYTES = 1 << 20;

  Future<Void> fetch(String hostPort, Kind kind, String sha256, long bytes, Path temp) {
    int colon = hostPort.lastIndexOf(':');
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost(hostPort.substring(0, colon))
        .setPort(Integer.parseInt(hostPort.substring(colon + 1))).setURI("/cache/" + kind.tag() + "/" + sha256)
        .setIdleTimeout(30_000);
    return vertx.fileSystem().open(temp.toString(), new OpenOptions().setWrite(true).setCreateNew(true).setPerms("rw-------"))
        .compose(file -> client.request(request).compose(HttpClientRequest::send)
            .compose(resp -> receive(resp, file, sha256, bytes))
            .eventually(file::close));
  }

  private static Future<Void> receive(HttpClientResponse resp, AsyncFile file, String sha256, long bytes) {
    if (resp.statusCode() != 200) {
      resp.request().reset();
      return Future.failedFuture(new IOException("the peer answered " + resp.statusCode()));
    }
    Promise<Void> done = Promise.promise();
    MessageDigest md = DiskStore.sha256();
    long[] got = {0};
    Buffer[] batch = {Buffer.buffer(WRITE_BYTES)};
    file.exceptionHandler(done::tryFail);
    resp.exceptionHandler(done::tryFail);
    resp.handler(chunk -> {
      got[0] += chunk.length();
      if (got[0] > bytes) {
        done.tryFail(new IOException("the peer sent more than the " + bytes + " bytes the index says"));
        resp.request().reset();
        return;
      }
      md.update(chunk.getBytes());
      // Written by the MB: each write is a hop to a worker thread, and Netty's chunks are a few KB.
      batch[0].appendBuffer(chunk);
      if (batch[0].length() >= WRITE_BYTES) {
        file.write(batch[0]);
        batch[0] = Buffer.buffer(WRITE_BYTES);
        if (file.writeQueueFull()) {
          resp.pause();
          file.drainHandler(v -> resp.resume());
        }
      }
    });
    resp.endHandler(v -> {
      if (got[0] != bytes || !DiskStore.hex(md).equals(sha256)) {
        done.tryFail(new IOException("the peer sent other bytes than " + sha256));
      } else {
        file.write(batch[0]).onComplete(done::tryComplete, done::tryFail);
      }
    });
    return done.future();
  }
}
