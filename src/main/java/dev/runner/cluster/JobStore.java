package dev.runner.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Where jobs' records and events are kept: {@link JobRecords} in the cluster. */
public interface JobStore {
  /**
   * Stores the record (its "attempt" says which run of the job wrote it) unless a later attempt's is
   * stored: false then, and nothing changed.
   */
  Future<Boolean> put(String id, JsonObject record);

  /** The record, or null when there is none (never accepted, or expired). */
  Future<JsonObject> get(String id);

  /** Stores the job's events so far, as {@link #put} does its record. */
  Future<Boolean> putEvents(String id, int attempt, JsonArray all);

  /** The job's events so far (empty when none were stored). */
  Future<JsonArray> events(String id);

  /** The unfinished asynchronous jobs {@code node} coordinated. */
  Future<List<JsonObject>> orphansOf(String node);
}
