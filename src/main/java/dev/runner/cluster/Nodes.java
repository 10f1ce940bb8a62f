package dev.runner.cluster;

import java.util.List;
import java.util.function.Consumer;

/** The cluster's live nodes as dispatch sees them: {@link NodeRegistry} in a node, a fixed list in unit tests. */
public interface Nodes {
  /** This node's id. */
  String selfId();

  /** The live nodes' last entries, this one's included once it published. */
  List<NodeInfo> nodes();

  /** Calls {@code listener} with the last entry of each node that leaves the cluster. */
  void onLeft(Consumer<NodeInfo> listener);
}
