package dev.runner.cluster;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** The cluster's live nodes as dispatch sees them: {@link NodeRegistry} in a node, a fixed list in unit tests. */
public interface Nodes {
  /** This node's id. */
  String selfId();

  /** The live nodes' last entries, this one's included once it published. */
  List<NodeInfo> nodes();

  /** Calls {@code listener} with the last entry of each node that leaves the cluster. */
  void onLeft(Consumer<NodeInfo> listener);

  /**
   * Whether this node is the one to act for a node that left: the first (by id) of the live nodes
   * that {@code among} admits, the dead one aside. Every survivor computes the same answer.
   */
  default boolean firstSurvivor(NodeInfo dead, Predicate<NodeInfo> among) {
    return nodes().stream().filter(n -> !n.id().equals(dead.id()) && among.test(n)).map(NodeInfo::id)
        .min(String::compareTo).orElse(selfId()).equals(selfId());
  }
}
