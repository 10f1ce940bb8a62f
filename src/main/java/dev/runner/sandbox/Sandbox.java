package dev.runner.sandbox;

import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import java.nio.file.Path;
import java.util.UUID;

/** One started sandbox container and the connection to its supervisor. */
public final class Sandbox {
  private final String id;
  private final String channelDir;
  private final SupervisorClient supervisor;
  private final PodmanClient podman;
  private final Vertx vertx;

  private Sandbox(Vertx vertx, PodmanClient podman, String id, String channelDir, SupervisorClient supervisor) {
    this.vertx = vertx;
    this.podman = podman;
    this.id = id;
    this.channelDir = channelDir;
    this.supervisor = supervisor;
  }

  public String id() { return id; }

  public SupervisorClient supervisor() { return supervisor; }

  /** Creates and starts a container, then connects once its supervisor listens. Off the request path. */
  public static Future<Sandbox> launch(Vertx vertx, PodmanClient podman, NetClient net, String image, Path stateDir,
                                      long memoryBytes, String label) {
    String name = "runner-" + label + "-" + UUID.randomUUID().toString().substring(0, 12);
    String dir = stateDir.resolve("sandboxes").resolve(name).toString();
    // The channel dir is only reachable through /opt/sv (mode 0700, container root) inside the sandbox.
    return vertx.fileSystem().mkdirs(dir, "rwx-wx-wx")
        .compose(v -> vertx.fileSystem().chmod(dir, "rwx-wx-wx"))
        .compose(v -> podman.create(SandboxSpec.of(name, image, dir, memoryBytes, label)))
        .compose(id -> podman.start(id)
            .compose(v -> connect(vertx, net, dir + "/sv.sock", 100))
            .map(sv -> new Sandbox(vertx, podman, id, dir, sv))
            .recover(err -> podman.remove(id).transform(x -> Future.failedFuture(err))));
  }

  private static Future<SupervisorClient> connect(Vertx vertx, NetClient net, String sock, int triesLeft) {
    return SupervisorClient.connect(vertx, net, sock).recover(err -> {
      if (triesLeft <= 0) return Future.failedFuture(err);
      return vertx.timer(20).compose(t -> connect(vertx, net, sock, triesLeft - 1));
    });
  }

  /**
   * Removes what an earlier process with this label left: its containers and their channel dirs.
   * One node per label and machine, so nothing found here is in use.
   */
  public static Future<Void> removeLeftovers(Vertx vertx, PodmanClient podman, Path stateDir, String label) {
    String prefix = "runner-" + label + "-";
    String dir = stateDir.resolve("sandboxes").toString();
    return podman.listByLabel(SandboxSpec.LABEL, label)
        .compose(names -> Future.join(names.stream().map(podman::remove).toList()))
        .compose(v -> vertx.fileSystem().mkdirs(dir))
        .compose(v -> vertx.fileSystem().readDir(dir))
        .compose(paths -> Future.join(paths.stream()
            .filter(p -> Path.of(p).getFileName().toString().startsWith(prefix))
            .map(p -> vertx.fileSystem().deleteRecursive(p)).toList()))
        .mapEmpty();
  }

  /** Removes the container and its channel dir (it holds only the supervisor's socket). */
  public Future<Void> destroy() {
    return supervisor.close().otherwiseEmpty()
        .compose(v -> podman.remove(id))
        .compose(v -> vertx.fileSystem().deleteRecursive(channelDir).otherwiseEmpty());
  }
}
