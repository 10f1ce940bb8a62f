package dev.runner.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.runner.config.RunnerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The member's Hazelcast configuration, built without starting Hazelcast: how it joins, what it binds. */
class ClusterConfigTest {
  private static RunnerConfig config(String... pairs) {
    Map<String, String> env = new java.util.HashMap<>(Map.of("RUNNER_IMAGES", "python=localhost/runner-python:test",
        "RUNNER_CONTAINERS", System.getenv().getOrDefault("RUNNER_CONTAINERS", "containers")));
    for (int i = 0; i < pairs.length; i += 2) env.put(pairs[i], pairs[i + 1]);
    return RunnerConfig.fromEnvironment(env);
  }

  @Test
  void tcpIpJoinOnTheMembersByDefault() {
    JoinConfig join = Cluster.hazelcastConfig(config("RUNNER_CLUSTER_MEMBERS", "10.0.0.1, 10.0.0.2")).getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.1", "10.0.0.2"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getKubernetesConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
  }

  @Test
  void kubernetesDnsJoinWhenSet() {
    Config hz = Cluster.hazelcastConfig(config("RUNNER_CLUSTER_KUBERNETES_DNS", "runner-hz.runner.svc.cluster.local",
        "RUNNER_CLUSTER_HOST", "10.1.2.3"));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("runner-hz.runner.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    // the hardening stays: the pod's IP only, never every interface
    assertEquals("false", hz.getProperty("hazelcast.socket.bind.any"));
    assertTrue(hz.getNetworkConfig().getInterfaces().isEnabled());
    assertEquals(List.of("10.1.2.3"), List.copyOf(hz.getNetworkConfig().getInterfaces().getInterfaces()));
  }
}
