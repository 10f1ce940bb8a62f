package dev.runner.cluster;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * What a node tells the cluster of itself (GET /nodes shows it): where its API listens, the
 * languages it serves (with their toolchains' versions), per language its sandboxes, how many
 * could start a job now and how many are busy (its image's, shared by the image's languages), its jobs running and queued, and what a survivor on the same Podman host
 * needs to remove its sandboxes if it dies. {@code free} is a hint for dispatch, seconds old at
 * worst: the node itself refuses a job it cannot start now.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record NodeInfo(String id, String http, Map<String, String> languages, Map<String, Integer> capacity,
                       Map<String, Integer> free, Map<String, Integer> busy, int running, int queued, long jobsCompleted, boolean draining,
                       String sandboxLabel, String stateDir, String podmanHost, long updatedMs) {

  /** What is known of a node that left without an entry (it removed its own when leaving cleanly). */
  public static NodeInfo gone(String id) {
    return new NodeInfo(id, null, Map.of(), Map.of(), Map.of(), Map.of(), 0, 0, 0, true, null, null, null, 0);
  }

  public boolean serves(String language) {
    return languages.containsKey(language);
  }

  public int freeFor(String language) {
    return free.getOrDefault(language, 0);
  }

  public JsonObject toJson() {
    return JsonObject.mapFrom(this);
  }

  public static NodeInfo fromJson(String json) {
    return new JsonObject(json).mapTo(NodeInfo.class);
  }
}
