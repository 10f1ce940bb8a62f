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

  /** Stores the job's event number {@code seq} (from 1), as {@link #put} does a record. */
  Future<Boolean> putEvent(String id, int attempt, int seq, JsonObject event);

  /** The job's stored events from {@code fromSeq} on, up to the first not stored (yet). */
  Future<JsonArray> events(String id, int fromSeq);

  /**
   * Takes over an asynchronous job {@code dead} coordinated and did not finish: its record says
   * {@code self} coordinates it, as the next attempt. The record taken, or null when another
   * survivor took it first (or it ended).
   */
  Future<JsonObject> claim(String id, String dead, String self);

  /** The unfinished asynchronous jobs {@code node} coordinated. */
  Future<List<JsonObject>> orphansOf(String node);
}
