package dev.runner.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.config.RunnerConfig;
import dev.runner.StandInCluster;
import dev.runner.jobs.WorkerVerticle;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under k8s/, parsed with fabric8's Kubernetes model classes, checked against the
 * others, against the node's configuration and against its HTTP API: kustomization.yaml lists every
 * manifest; selectors match the pod's labels; Services target named container ports, which are
 * runner.json's; the probes' path is answered by the node's /health (200 able, 503 not, no token);
 * the grace period outlasts preStop and the drain; one pod down at a time; no privileged pod, only the
 * capabilities k8s/README.md explains. No cluster and no Podman: what a cluster would say on
 * `kubectl apply -k k8s/` is not checked here.
 */
class ManifestsTest {
  private static final Path DIR = Path.of("k8s");
  private static final Map<String, HasMetadata> byFile = new HashMap<>();
  private static Map<String, Object> kustomization;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void parse() throws Exception {
    kustomization = Serialization.unmarshal(Files.readString(DIR.resolve("kustomization.yaml")), Map.class);
    for (String file : resources()) {
      Path p = DIR.resolve(file);
      assertTrue(Files.isRegularFile(p), "kustomization.yaml names " + file + ", which is not in k8s/");
      try (InputStream in = Files.newInputStream(p)) {
        Object parsed = Serialization.unmarshal(in);
        assertTrue(parsed instanceof HasMetadata, file + " is not one Kubernetes object: " + parsed);
        byFile.put(file, (HasMetadata) parsed);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> resources() {
    return (List<String>) kustomization.get("resources");
  }

  private static <T extends HasMetadata> List<T> all(Class<T> type) {
    return byFile.values().stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), "one " + type.getSimpleName() + " expected, got " + found.size());
    return found.get(0);
  }

  private static StatefulSet statefulSet() {
    return one(StatefulSet.class);
  }

  private static Container node() {
    List<Container> containers = statefulSet().getSpec().getTemplate().getSpec().getContainers();
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  private static Service headless() {
    List<Service> found = all(Service.class).stream().filter(s -> "None".equals(s.getSpec().getClusterIP())).toList();
    assertEquals(1, found.size(), "one headless Service expected");
    return found.get(0);
  }

  private static String namespace() {
    return (String) kustomization.get("namespace");
  }

  /** The pod's environment: the manifest's values, fieldRefs given a sample, and what ./runner sets in the pod. */
  private static Map<String, String> podEnv() {
    Map<String, String> env = new HashMap<>();
    for (EnvVar v : node().getEnv()) {
      if (v.getValue() != null) env.put(v.getName(), v.getValue());
      else if (v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null) {
        assertEquals("status.podIP", v.getValueFrom().getFieldRef().getFieldPath(), v.getName());
        env.put(v.getName(), "10.244.1.7");
      }
    }
    env.put("RUNNER_IMAGES", "python=localhost/runner-python:x");
    env.put("RUNNER_CONTAINERS", "containers");
    return env;
  }

  private static RunnerConfig podConfig() {
    JsonObject file = new JsonObject(one(ConfigMap.class).getData().get("runner.json"));
    return RunnerConfig.from(file, podEnv());
  }

  @Test
  void everyYamlIsAResourceAndParses() throws Exception {
    try (Stream<Path> files = Files.list(DIR)) {
      List<String> yaml = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
          .filter(n -> !n.equals("kustomization.yaml")).sorted().toList();
      assertEquals(yaml, resources().stream().sorted().toList(), "k8s/*.yaml and kustomization.yaml's resources");
    }
    for (HasMetadata r : byFile.values()) assertNotNull(r.getMetadata().getName(), r.getKind() + " without a name");
    assertEquals(namespace(), one(Namespace.class).getMetadata().getName());
    one(PodDisruptionBudget.class);
    assertEquals(2, all(Service.class).size());
  }

  @Test
  void selectorsMatchThePodsLabels() {
    Map<String, String> labels = statefulSet().getSpec().getTemplate().getMetadata().getLabels();
    Map<String, String> own = statefulSet().getSpec().getSelector().getMatchLabels();
    assertFalse(own.isEmpty());
    assertTrue(labels.entrySet().containsAll(own.entrySet()), "StatefulSet selector " + own + " vs " + labels);
    for (Service s : all(Service.class)) {
      Map<String, String> sel = s.getSpec().getSelector();
      assertTrue(sel != null && !sel.isEmpty() && labels.entrySet().containsAll(sel.entrySet()),
          "Service " + s.getMetadata().getName() + " selects " + sel + ", the pods have " + labels);
    }
    Map<String, String> pdb = one(PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels();
    assertTrue(!pdb.isEmpty() && labels.entrySet().containsAll(pdb.entrySet()), "PDB selects " + pdb);
  }

  @Test
  void statefulSetNamesTheHeadlessService() {
    Service h = headless();
    assertEquals(h.getMetadata().getName(), statefulSet().getSpec().getServiceName());
    assertTrue(h.getSpec().getPublishNotReadyAddresses(), "members must find each other before they are ready");
  }

  @Test
  void servicePortsTargetContainerPorts() {
    List<ContainerPort> ports = node().getPorts();
    for (Service s : all(Service.class)) {
      for (ServicePort sp : s.getSpec().getPorts()) {
        IntOrString t = sp.getTargetPort();
        // by name, so a port renumbered in the pod cannot leave a Service pointing at the old number
        assertTrue(t != null && t.getStrVal() != null, s.getMetadata().getName() + " port " + sp.getName() + " targets no port name");
        boolean found = ports.stream().anyMatch(cp -> t.getStrVal() != null ? t.getStrVal().equals(cp.getName())
            : t.getIntVal().equals(cp.getContainerPort()));
        assertTrue(found, s.getMetadata().getName() + " port " + sp.getName() + " targets " + t + ", no container port");
        ContainerPort cp = ports.stream().filter(c -> t.getStrVal() != null ? t.getStrVal().equals(c.getName())
            : t.getIntVal().equals(c.getContainerPort())).findFirst().orElseThrow();
        assertEquals(cp.getContainerPort(), sp.getPort(), "a Service port other than the container's: " + sp.getName());
      }
    }
    List<String> hz = headless().getSpec().getPorts().stream().map(ServicePort::getName).sorted().toList();
    assertEquals(List.of("cache", "eventbus", "hazelcast"), hz);
  }

  @Test
  void containerPortsAreTheConfigsPorts() {
    RunnerConfig c = podConfig();
    Map<String, Integer> declared = new HashMap<>();
    for (ContainerPort p : node().getPorts()) declared.put(p.getName(), p.getContainerPort());
    assertEquals(Map.of("http", c.httpPort(), "hazelcast", c.clusterPort(), "eventbus", c.clusterBusPort(),
        "cache", c.runner().cachePort()), declared);
    assertTrue(c.clusterBusPort() > 0 && c.runner().cachePort() > 0, "a pod's ports must be fixed, not 0");
  }

  @Test
  void probesAskHealthOnTheHttpPort() {
    Container n = node();
    int http = podConfig().httpPort();
    for (Probe p : new Probe[] {n.getStartupProbe(), n.getReadinessProbe(), n.getLivenessProbe()}) {
      assertNotNull(p, "startup, readiness and liveness probes");
      HTTPGetAction get = p.getHttpGet();
      assertNotNull(get);
      assertEquals("/health", get.getPath());
      IntOrString port = get.getPort();
      int number = port.getStrVal() == null ? port.getIntVal()
          : n.getPorts().stream().filter(cp -> port.getStrVal().equals(cp.getName())).findFirst().orElseThrow().getContainerPort();
      assertEquals(http, number);
    }
    // a first start builds the images: the startup probe must allow minutes
    Probe s = n.getStartupProbe();
    assertTrue(s.getPeriodSeconds() * s.getFailureThreshold() >= 20 * 60, "startup allows under 20 minutes");
  }

  @Test
  void configMapIsAValidNodeConfigForThePod() {
    RunnerConfig c = podConfig();
    assertEquals("0.0.0.0", c.httpHost());
    assertEquals("10.244.1.7", c.clusterHost()); // status.podIP
    Path mount = Path.of(podEnv().get("RUNNER_CONFIG"));
    boolean mounted = node().getVolumeMounts().stream().anyMatch(m -> mount.getParent().equals(Path.of(m.getMountPath()))
        && statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals(m.getName())
            && v.getConfigMap() != null && one(ConfigMap.class).getMetadata().getName().equals(v.getConfigMap().getName())));
    assertTrue(mounted, "RUNNER_CONFIG's directory is the ConfigMap's mount");
    assertTrue(one(ConfigMap.class).getData().containsKey(mount.getFileName().toString()));
    assertTrue(node().getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals(c.stateDir().toString())),
        "a volume for " + c.stateDir());
  }

  @Test
  void kubernetesDnsNamesTheHeadlessService() {
    String expected = headless().getMetadata().getName() + "." + namespace() + ".svc.cluster.local";
    assertEquals(expected, podConfig().clusterKubernetesDns());
  }

  /** The drain timeout the pod's node gets: its env, else runner.json's cluster.drain_timeout_s, else the node's default. */
  private static int drainTimeoutSeconds() {
    String env = podEnv().get("RUNNER_DRAIN_TIMEOUT_S");
    if (env != null) return Integer.parseInt(env.trim());
    JsonObject cluster = new JsonObject(one(ConfigMap.class).getData().get("runner.json")).getJsonObject("cluster");
    return cluster != null && cluster.containsKey("drain_timeout_s") ? cluster.getInteger("drain_timeout_s") : 30;
  }

  @Test
  void gracePeriodOutlastsTheDrain() {
    Container n = node();
    long preStop = n.getLifecycle() == null || n.getLifecycle().getPreStop() == null
        || n.getLifecycle().getPreStop().getSleep() == null ? 0 : n.getLifecycle().getPreStop().getSleep().getSeconds();
    int drain = drainTimeoutSeconds();
    long grace = statefulSet().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    // 30 s beyond preStop and the drain for leaving the cluster and the JVM's exit, before SIGKILL
    assertTrue(grace >= preStop + drain + 30, "terminationGracePeriodSeconds " + grace + " < preStop " + preStop
        + " + drain " + drain + " + 30");
    // the liveness probe must not restart a node that is draining (its /health answers 503 meanwhile)
    Probe live = n.getLivenessProbe();
    assertTrue(live.getPeriodSeconds() * live.getFailureThreshold() > preStop + drain,
        "liveness gives up within the drain");
  }

  @Test
  void oneNodeDownAtATime() {
    IntOrString max = one(PodDisruptionBudget.class).getSpec().getMaxUnavailable();
    assertNotNull(max, "PDB maxUnavailable");
    assertEquals(1, max.getIntVal());
    assertEquals(null, one(PodDisruptionBudget.class).getSpec().getMinAvailable());
  }

  /** The capabilities the pod is granted, each explained in k8s/README.md and statefulset.yaml. */
  private static final Set<String> GRANTED = Set.of("SYS_ADMIN", "SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SYS_CHROOT");

  @Test
  void thePodIsNotPrivileged() throws Exception {
    PodSpec pod = statefulSet().getSpec().getTemplate().getSpec();
    assertEquals(Boolean.FALSE, pod.getHostUsers(), "the pod's own user namespace");
    assertTrue(pod.getHostNetwork() == null || !pod.getHostNetwork(), "hostNetwork");
    assertTrue(pod.getHostPID() == null || !pod.getHostPID(), "hostPID");
    assertTrue(pod.getHostIPC() == null || !pod.getHostIPC(), "hostIPC");
    assertTrue(pod.getVolumes().stream().allMatch(v -> v.getHostPath() == null), "no hostPath volume");
    SecurityContext sc = node().getSecurityContext();
    assertTrue(sc.getPrivileged() == null || !sc.getPrivileged(), "privileged");
    assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
    Set<String> added = Set.copyOf(sc.getCapabilities().getAdd());
    assertEquals(GRANTED, added, "capabilities added (update k8s/README.md's list with them)");
    String readme = Files.readString(DIR.resolve("README.md"));
    for (String cap : added) assertTrue(readme.contains("`" + cap + "`"), "k8s/README.md does not explain " + cap);
    for (String other : List.of("procMount", "seccompProfile", "appArmorProfile", "hostUsers")) {
      assertTrue(readme.contains(other), "k8s/README.md does not explain " + other);
    }
  }

  @Test
  void thePodsVariablesAreOnesTheNodeReads() {
    // RUNNER_CONFIG names the file; RUNNER_LANGUAGES is ./runner's; RUNNER_DRAIN_TIMEOUT_S is the drain's (its
    // config key is being added): a misspelt name would be ignored silently by the node.
    Set<String> known = new java.util.HashSet<>(RunnerConfig.ENV_VARIABLES);
    known.addAll(Set.of("RUNNER_CONFIG", "RUNNER_LANGUAGES", "RUNNER_DRAIN_TIMEOUT_S"));
    for (EnvVar v : node().getEnv()) assertTrue(known.contains(v.getName()), v.getName() + " is read by nothing");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theImageIsTheOneKustomizeSets() {
    List<Map<String, Object>> images = (List<Map<String, Object>>) kustomization.get("images");
    assertTrue(images.stream().anyMatch(i -> node().getImage().equals(i.get("name"))),
        "the container's image " + node().getImage() + " is not one kustomization.yaml's images rewrite");
  }

  /**
   * The probes against the node's own HTTP API (the pod's config, on a free local port, API tokens on
   * as they may be in a cluster), with a stand-in worker: each probe's path answers 200 without a
   * token while the worker can run jobs, and 503 when it cannot, which is what readiness acts on.
   */
  @Test
  void probesAreAnsweredByTheNodesHealthEndpoint() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Map<String, String> env = podEnv();
    env.put("RUNNER_HOST", "127.0.0.1");
    env.put("RUNNER_PORT", Integer.toString(port));
    env.put("RUNNER_API_TOKENS", "a-token");
    RunnerConfig config = RunnerConfig.from(new JsonObject(one(ConfigMap.class).getData().get("runner.json")), env);
    AtomicBoolean canRun = new AtomicBoolean(true);
    Vertx vertx = Vertx.vertx();
    try {
      vertx.eventBus().<JsonObject>consumer(WorkerVerticle.HEALTH_ADDRESS, m -> m.reply(new JsonObject()
          .put("can_run_jobs", canRun.get()).put("jobs_completed", 0L).put("current_jobs", 0).put("jobs_queued", 0)
          .put("sandboxes", new JsonObject())));
      vertx.deployVerticle(StandInCluster.http(vertx, config)).await();
      WebClient client = WebClient.create(vertx);
      Container n = node();
      for (Probe p : new Probe[] {n.getStartupProbe(), n.getReadinessProbe(), n.getLivenessProbe()}) {
        String path = p.getHttpGet().getPath();
        canRun.set(true);
        assertEquals(200, client.get(port, "127.0.0.1", path).send().await().statusCode(), path + " while able to run jobs");
        canRun.set(false);
        assertEquals(503, client.get(port, "127.0.0.1", path).send().await().statusCode(), path + " while unable");
      }
    } finally {
      vertx.close().await();
    }
  }
}
