package dev.runner.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Where jobs' records and events are kept: {@link JobRecords} in the cluster. */
public interface JobStore {
  Future<Void> put(String id, JsonObject record);

  /** The record, or null when there is none (never accepted, or expired). */
  Future<JsonObject> get(String id);

  Future<Void> putEvents(String id, JsonArray all);

  /** The job's events so far (empty when none were stored). */
  Future<JsonArray> events(String id);

  /** The unfinished asynchronous jobs {@code node} coordinated. */
  Future<List<JsonObject>> orphansOf(String node);
}
