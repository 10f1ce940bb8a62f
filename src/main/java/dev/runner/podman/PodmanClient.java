package dev.runner.podman;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.List;

/**
 * Thin client for the libpod REST API over Podman's unix socket: container life cycle, and the
 * images' labels (read once when a node starts). Every
 * call is bounded by {@link #CALL_TIMEOUT_MS}: a hung Podman fails the call, never holds a pool slot.
 */
public final class PodmanClient {
  private static final String API = "/v4.0.0/libpod";
  static final long CALL_TIMEOUT_MS = 60_000;
  private final WebClient client;
  private final SocketAddress socket;
  private final Vertx vertx;

  public PodmanClient(Vertx vertx, String socketPath) {
    this.vertx = vertx;
    // Podman answers 400 without a Host header; any value will do.
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("podman").setDefaultPort(80));
    this.socket = SocketAddress.domainSocketAddress(socketPath);
  }

  /** Creates a container from a libpod SpecGenerator document; returns its id. */
  public Future<String> create(JsonObject spec) {
    return call(HttpMethod.POST, "/containers/create")
        .sendJsonObject(spec)
        .compose(r -> expect(r, 201, "create").map(res -> res.bodyAsJsonObject().getString("Id")));
  }

  public Future<Void> start(String id) {
    return call(HttpMethod.POST, "/containers/" + id + "/start")
        .send()
        .compose(r -> expect(r, 204, "start").mapEmpty());
  }

  /**
   * Force-removes a container; a missing one counts as removed. Right after a stop the removal can
   * fail with "device or resource busy" on the shm mount, so it is retried a few times.
   */
  public Future<Void> remove(String id) {
    return removeOnce(id).recover(err -> vertx.timer(200).compose(t -> removeOnce(id)))
        .recover(err -> vertx.timer(500).compose(t -> removeOnce(id)))
        .recover(err -> vertx.timer(1000).compose(t -> removeOnce(id)));
  }

  private Future<Void> removeOnce(String id) {
    return call(HttpMethod.DELETE, "/containers/" + id + "?force=true&v=true")
        .send()
        .compose(r -> r.statusCode() == 404 ? Future.succeededFuture(r) : expect(r, 200, "remove"))
        .mapEmpty();
  }

  /** Changes a running container's memory limit (swap follows it, so no swapping either). */
  public Future<Void> updateMemory(String id, long bytes) {
    JsonObject body = new JsonObject().put("memory", new JsonObject().put("limit", bytes).put("swap", bytes));
    return call(HttpMethod.POST, "/containers/" + id + "/update")
        .sendJsonObject(body)
        .compose(r -> r.statusCode() / 100 == 2 ? Future.succeededFuture() : expect(r, 201, "update").mapEmpty());
  }

  /** An image's labels, {@code GET /images/{name}/json}'s {@code Labels}; empty when it has none. */
  /** An image's inspection (Podman's image JSON: its "Id", its "Labels", ...). */
  public Future<JsonObject> inspectImage(String image) {
    return call(HttpMethod.GET, "/images/" + image + "/json")
        .send()
        .compose(r -> expect(r, 200, "inspect image " + image))
        .map(r -> r.bodyAsJsonObject());
  }

  /** Names of the containers, running or not, that carry this label with this value. */
  public Future<List<String>> listByLabel(String key, String value) {
    String filters = new JsonObject().put("label", new JsonArray().add(key + "=" + value)).encode();
    return call(HttpMethod.GET, "/containers/json")
        .addQueryParam("all", "true").addQueryParam("filters", filters)
        .send()
        .compose(r -> expect(r, 200, "list"))
        .map(r -> r.bodyAsJsonArray().stream()
            .map(c -> ((JsonObject) c).getJsonArray("Names").getString(0)).toList());
  }

  private HttpRequest<Buffer> call(HttpMethod method, String path) {
    return client.request(method, socket, API + path).timeout(CALL_TIMEOUT_MS);
  }

  private static Future<HttpResponse<Buffer>> expect(HttpResponse<Buffer> r, int status, String what) {
    if (r.statusCode() == status) return Future.succeededFuture(r);
    return Future.failedFuture(new PodmanException(what + " failed: HTTP " + r.statusCode() + " " + r.bodyAsString()));
  }

  public void close() {
    client.close();
  }
}
