package dev.runner.sandbox;

import java.nio.file.Path;

/**
 * What every sandbox of one pool is made from: the language's image, where the channel dirs go, the
 * label naming the node that owns them, and the container's seccomp profile.
 */
public record SandboxTemplate(String image, Path stateDir, String label, Path seccompProfile) {}
