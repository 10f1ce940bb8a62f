package dev.runner.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The cluster's nodes as they describe themselves ({@link NodeInfo}), in a Hazelcast ReplicatedMap:
 * every member holds the whole map, so dispatch reads it locally, without a network call. A node
 * writes its own entry; a member that leaves without removing it (killed) is told to the
 * {@link #onLeft} listeners, on the Vert.x context that registered them, with its last entry.
 */
public final class NodeRegistry implements Nodes {
  public static final String MAP = "runner.nodes";
  /** The member attribute in which Vert.x's cluster manager keeps its node id (not Hazelcast's member UUID). */
  private static final String NODE_ID = "__vertx.nodeId";
  /** How long a dead node's entry stays after its leaving was told (its sandboxes' removal reads it first). */
  private static final long ENTRY_GRACE_MS = 30_000;
  private final Vertx vertx;
  private final HazelcastClusterManager manager;
  private final HazelcastInstance hz;
  private final ReplicatedMap<String, String> nodes;
  private final String selfId;
  private final List<Consumer<NodeInfo>> leftListeners = new CopyOnWriteArrayList<>();
  private final UUID membershipListener;

  public NodeRegistry(Vertx vertx, HazelcastClusterManager manager) {
    this.vertx = vertx;
    this.manager = manager;
    this.hz = manager.getHazelcastInstance();
    this.nodes = hz.getReplicatedMap(MAP);
    this.selfId = manager.getNodeId();
    this.membershipListener = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {}

      @Override
      public void memberRemoved(MembershipEvent event) {
        String id = event.getMember().getAttribute(NODE_ID);
        if (id == null) return;
        // A node that left cleanly removed its entry first: its id alone is told (its jobs still fail over).
        String last = nodes.get(id);
        NodeInfo info = last != null ? NodeInfo.fromJson(last) : NodeInfo.gone(id);
        leftListeners.forEach(l -> l.accept(info));
        // A dead node's entry goes after its listeners read it, removed by one survivor.
        if (last != null) vertx.setTimer(ENTRY_GRACE_MS, t -> {
          if (firstSurvivor(info, n -> true)) remove(id);
        });
      }
    });
  }

  /** This node's id: Vert.x's, as its event bus and cluster manager know it. */
  @Override
  public String selfId() {
    return selfId;
  }

  /** Calls {@code listener} (on the caller's context) with the last entry of each member that leaves. */
  @Override
  public void onLeft(Consumer<NodeInfo> listener) {
    Context ctx = vertx.getOrCreateContext();
    leftListeners.add(info -> ctx.runOnContext(v -> listener.accept(info)));
  }

  /** This node's entry, replaced (off the event loop: a replicated put waits for the local store). */
  public Future<Void> publish(NodeInfo info) {
    String json = info.toJson().encode();
    return vertx.executeBlocking(() -> {
      nodes.put(selfId, json);
      return null;
    });
  }

  /** Removes a node's entry: its own at leaving, or a dead one's once its sandboxes are gone. */
  public Future<Void> remove(String id) {
    return vertx.executeBlocking(() -> {
      nodes.remove(id);
      return null;
    });
  }

  /** The live members' entries (a dead member's entry may linger until a survivor removes it). */
  @Override
  public List<NodeInfo> nodes() {
    Set<String> members = Set.copyOf(manager.getNodes());
    List<NodeInfo> live = new ArrayList<>();
    nodes.forEach((id, json) -> {
      if (members.contains(id)) live.add(NodeInfo.fromJson(json));
    });
    return live;
  }

  public void close() {
    hz.getCluster().removeMembershipListener(membershipListener);
  }
}
