package dev.runner.sandbox;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The libpod create document of one sandbox container: every isolation setting in one place. */
public final class SandboxSpec {
  /** Only what the supervisor needs to prepare /work, wipe it, drop to the sandbox uid and kill. */
  private static final JsonArray CAPS = new JsonArray()
      .add("CAP_SETUID").add("CAP_SETGID").add("CAP_KILL").add("CAP_CHOWN").add("CAP_DAC_OVERRIDE").add("CAP_FOWNER");

  /** The label every sandbox container carries; its value names the node (or test) that owns it. */
  public static final String LABEL = "dev.runner.sandbox";

  private SandboxSpec() {}

  /**
   * {@code channelDir}: the host dir (mode 0700) that becomes /opt/sv/chan, chowned by Podman to the
   * container's root ("U"), so neither the sandbox uid nor another host user can enter it.
   * {@code seccompProfile}: the container's profile (conf/seccomp.json), a host path Podman reads.
   */
  public static JsonObject of(String name, String image, String channelDir, long memoryBytes, String label,
                              String seccompProfile) {
    return new JsonObject()
        .put("name", name)
        .put("image", image)
        .put("command", new JsonArray().add("/opt/runner/supervisor"))
        .put("labels", new JsonObject().put(LABEL, label))
        .put("netns", new JsonObject().put("nsmode", "none"))
        // Podman ignores userns=auto from the API unless idmappings ask for it too.
        .put("userns", new JsonObject().put("nsmode", "auto"))
        .put("idmappings", new JsonObject().put("HostUIDMapping", false).put("HostGIDMapping", false)
            .put("AutoUserNs", true).put("AutoUserNsOpts", new JsonObject().put("Size", 65536)))
        .put("read_only_filesystem", true)
        .put("mounts", new JsonArray()
            .add(tmpfs("/work", 64L << 20, "exec"))
            .add(tmpfs("/tmp", 64L << 20, "noexec").put("options", tmpfsOptions(64L << 20, "noexec").add("mode=1777")))
            .add(new JsonObject().put("destination", "/opt/sv/chan").put("type", "bind").put("source", channelDir)
                .put("options", new JsonArray().add("rbind").add("rw").add("U")))
            // The container's cgroup counters (peak memory, OOM kills, CPU) outlive a job: the
            // program's /sys/fs/cgroup is masked, the supervisor reads them here (/opt/sv is 0700).
            .add(new JsonObject().put("destination", "/opt/sv/cgroup").put("type", "cgroup").put("source", "cgroup")
                .put("options", new JsonArray().add("ro").add("nosuid").add("nodev").add("noexec")))
            // PID 1's /proc entries (its children's CPU times add up across jobs) are invisible to uid 1000.
            .add(new JsonObject().put("destination", "/proc").put("type", "proc").put("source", "proc")
                .put("options", new JsonArray().add("nosuid").add("nodev").add("noexec").add("hidepid=invisible"))))
        .put("mask", new JsonArray().add("/sys/fs/cgroup"))
        .put("seccomp_profile_path", seccompProfile)
        .put("shm_size", 16L << 20)
        .put("resource_limits", new JsonObject()
            .put("memory", new JsonObject().put("limit", memoryBytes).put("swap", memoryBytes))
            .put("pids", new JsonObject().put("limit", 128))
            .put("cpu", new JsonObject().put("quota", 100000).put("period", 100000)))
        .put("r_limits", new JsonArray()
            .add(rlimit("nofile", 1024)).add(rlimit("nproc", 4096)).add(rlimit("core", 0)))
        .put("cap_drop", new JsonArray().add("ALL"))
        .put("cap_add", CAPS)
        .put("no_new_privileges", true);
  }

  private static JsonObject tmpfs(String where, long size, String exec) {
    return new JsonObject().put("destination", where).put("type", "tmpfs").put("source", "tmpfs")
        .put("options", tmpfsOptions(size, exec));
  }

  private static JsonArray tmpfsOptions(long size, String exec) {
    return new JsonArray().add("rw").add("nosuid").add("nodev").add(exec).add("size=" + size);
  }

  private static JsonObject rlimit(String type, long value) {
    return new JsonObject().put("type", type).put("soft", value).put("hard", value);
  }
}
