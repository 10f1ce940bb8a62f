package dev.runner.sandbox;

import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

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

  /**
   * Creates and starts a container, then connects once its supervisor listens. Off the request path.
   * The channel dirs live in {@code stateDir/sandboxes} (0700, root): only root on the host and the
   * container's own root (Podman chowns its dir to it) can reach a supervisor's socket.
   */
  public static Future<Sandbox> launch(Vertx vertx, PodmanClient podman, NetClient net, SandboxTemplate template,
                                      long memoryBytes) {
    String name = namePrefix(template.label()) + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String parent = template.stateDir().resolve("sandboxes").toString();
    String dir = parent + "/" + name;
    return vertx.fileSystem().mkdirs(parent, "rwx------")
        .compose(v -> vertx.fileSystem().chmod(parent, "rwx------"))
        .compose(v -> vertx.fileSystem().mkdir(dir, "rwx------"))
        .compose(v -> podman.create(SandboxSpec.of(name, template.image(), dir, memoryBytes, template.label(),
                template.seccompProfile().toString()))
            .compose(id -> podman.start(id)
                .compose(x -> connect(vertx, net, dir + "/" + SOCKET, 100))
                .map(sv -> new Sandbox(vertx, podman, id, dir, sv))
                .recover(err -> podman.remove(id).transform(x -> Future.failedFuture(err))))
            // A create that timed out may still have made the container: remove it by name too.
            .recover(err -> podman.remove(name).otherwiseEmpty()
                .compose(x -> removeChannelDir(vertx, dir)).transform(x -> Future.failedFuture(err))));
  }

  private static final String SOCKET = "sv.sock";

  private static String namePrefix(String label) {
    return "runner-" + label + "-";
  }

  /**
   * Deletes the socket, by its one known name, and the then empty dir: never a recursive walk over a
   * dir the container's root could have written into (unlink and rmdir do not follow links).
   */
  private static Future<Void> removeChannelDir(Vertx vertx, String dir) {
    return vertx.fileSystem().delete(dir + "/" + SOCKET).otherwiseEmpty()
        .compose(v -> vertx.fileSystem().delete(dir))
        .recover(err -> vertx.fileSystem().exists(dir).compose(left -> left
            ? Future.failedFuture(new IllegalStateException("channel dir " + dir + " was not removed: " + err.getMessage()))
            : Future.succeededFuture()));
  }

  private static Future<SupervisorClient> connect(Vertx vertx, NetClient net, String sock, int triesLeft) {
    return SupervisorClient.connect(vertx, net, sock).recover(err -> {
      if (triesLeft <= 0) return Future.failedFuture(err);
      return vertx.timer(20).compose(t -> connect(vertx, net, sock, triesLeft - 1));
    });
  }

  /**
   * Removes what an earlier process with this label left: its containers (by the exact label) and
   * the channel dirs named exactly as this label's sandboxes are. One node per label and machine
   * (the default label is the node's HTTP port), so nothing found here is in use.
   */
  public static Future<Void> removeLeftovers(Vertx vertx, PodmanClient podman, Path stateDir, String label) {
    Pattern ours = Pattern.compile(Pattern.quote(namePrefix(label)) + "[0-9a-f]{12}");
    String dir = stateDir.resolve("sandboxes").toString();
    return podman.listByLabel(SandboxSpec.LABEL, label)
        .compose(names -> Future.join(names.stream().map(podman::remove).toList()))
        .compose(v -> vertx.fileSystem().mkdirs(dir, "rwx------"))
        .compose(v -> vertx.fileSystem().readDir(dir))
        .compose(paths -> Future.join(paths.stream()
            .filter(p -> ours.matcher(Path.of(p).getFileName().toString()).matches())
            .map(p -> removeChannelDir(vertx, p)).toList()))
        .mapEmpty();
  }

  /** Removes the container and its channel dir (it holds only the supervisor's socket). */
  public Future<Void> destroy() {
    return supervisor.close().otherwiseEmpty()
        .compose(v -> podman.remove(id))
        .compose(v -> removeChannelDir(vertx, channelDir).otherwiseEmpty());
  }
}
