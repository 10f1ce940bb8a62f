package dev.runner.jobs;

import dev.runner.cluster.NodeInfo;
import dev.runner.cluster.NodeRegistry;
import dev.runner.podman.PodmanClient;
import dev.runner.sandbox.Sandbox;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Removes the sandboxes of a node that left the cluster without removing them (killed): if it
 * shared this node's Podman, the first such survivor (by id) removes them, as the node itself would
 * at its next start. Its label is no live node's, so nothing removed is in use.
 */
final class DeadNodeSandboxes {
  private static final Logger LOG = Logger.getLogger(DeadNodeSandboxes.class.getName());
  private final Vertx vertx;
  private final PodmanClient podman;
  private final NodeRegistry registry;
  private final String here;

  /** {@code here}: this node's {@link #podmanHost}. */
  DeadNodeSandboxes(Vertx vertx, PodmanClient podman, NodeRegistry registry, String here) {
    this.vertx = vertx;
    this.podman = podman;
    this.registry = registry;
    this.here = here;
  }

  /** Names this machine's Podman: its host name and the API socket (looked up once, at a node's start). */
  static String podmanHost(String socket) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    return host + ":" + socket;
  }

  void remove(NodeInfo dead) {
    if (!here.equals(dead.podmanHost()) || dead.sandboxLabel() == null) return;
    // A live node with that label (restarted at once on the same port) owns those containers now.
    if (registry.nodes().stream().anyMatch(n -> !n.id().equals(dead.id()) && here.equals(n.podmanHost())
        && dead.sandboxLabel().equals(n.sandboxLabel()))) return;
    if (!registry.firstSurvivor(dead, n -> here.equals(n.podmanHost()))) return;
    LOG.info("node " + dead.id() + " left without leaving; removing its sandboxes (label " + dead.sandboxLabel() + ")");
    Sandbox.removeLeftovers(vertx, podman, Path.of(dead.stateDir()), dead.sandboxLabel())
        .onFailure(err -> LOG.warning("could not remove the sandboxes of node " + dead.id() + ": " + err.getMessage()));
  }
}
