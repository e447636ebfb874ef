package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNonNegative;
import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkPort;
import static dev.lectern.core.config.Checks.checkPositive;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Lip-sync avatar processes (LiveTalking-compatible): how Lectern starts them ({@code local}), or the avatar manager
 * it forwards to ({@code external}), and the catalogue offered to users.
 */
public record AvatarsConfig(
        String mode,
        String externalUrl,
        List<String> command,
        String workDir,
        int portRangeStart,
        int portRangeEnd,
        List<String> gpus,
        int maxInstancesPerGpu,
        int maxUsersPerInstance,
        String readyPath,
        long readyTimeoutMillis,
        long readyProbeIntervalMillis,
        long idleStopMillis,
        long stopGraceMillis,
        long connectTimeoutMillis,
        long offerTimeoutMillis,
        long requestTimeoutMillis,
        int maxIdleBackendConnections,
        String addedAvatarModel,
        List<Avatar> catalogue,
        long leaseMillis,
        int maxInstancesPerUser,
        int maxWaiting,
        long maxWaitMillis,
        int addedMaxAgeDays,
        List<String> proxyPaths) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern GPU = Pattern.compile("[0-9]{1,3}");

    public AvatarsConfig {
        checkNotBlank(mode, "avatars.mode");
        if (!Set.of("local", "external").contains(mode)) {
            throw new ConfigException("avatars.mode: " + mode + " (expected: local or external)");
        }
        externalUrl = externalUrl == null ? "" : externalUrl.trim();
        if (mode.equals("external")) {
            String lower = externalUrl.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
                throw new ConfigException("avatars.externalUrl: '" + externalUrl
                        + "' (expected: an http(s) URL when avatars.mode is external)");
            }
        }
        command = Checks.copyOf(command, "avatars.command");
        if (mode.equals("local")) {
            if (command.isEmpty()) {
                throw new ConfigException("avatars.command: must not be empty when avatars.mode is local");
            }
            if (command.stream().noneMatch(a -> a.contains("{port}"))) {
                throw new ConfigException("avatars.command: must contain the {port} placeholder");
            }
        }
        checkNotBlank(workDir, "avatars.workDir");
        checkPort(portRangeStart, "avatars.portRangeStart");
        checkPort(portRangeEnd, "avatars.portRangeEnd");
        if (portRangeStart < 1024 || portRangeEnd < portRangeStart) {
            throw new ConfigException("avatars.portRangeStart/portRangeEnd: " + portRangeStart + "-" + portRangeEnd
                    + " (expected: 1024 <= start <= end <= 65535)");
        }
        gpus = Checks.copyOf(gpus, "avatars.gpus");
        for (String g : gpus) {
            if (g == null || !GPU.matcher(g).matches()) {
                throw new ConfigException("avatars.gpus: '" + g + "' (expected: CUDA device indexes such as 0, 1)");
            }
        }
        if (new HashSet<>(gpus).size() != gpus.size()) {
            throw new ConfigException("avatars.gpus: " + gpus + " lists a device twice");
        }
        checkPositive(maxInstancesPerGpu, "avatars.maxInstancesPerGpu");
        checkPositive(maxUsersPerInstance, "avatars.maxUsersPerInstance");
        checkNotBlank(readyPath, "avatars.readyPath");
        if (!readyPath.startsWith("/")) {
            throw new ConfigException("avatars.readyPath: '" + readyPath + "' (expected: a path starting with /)");
        }
        checkPositive(readyTimeoutMillis, "avatars.readyTimeoutMillis");
        checkPositive(readyProbeIntervalMillis, "avatars.readyProbeIntervalMillis");
        checkPositive(idleStopMillis, "avatars.idleStopMillis");
        checkNonNegative(stopGraceMillis, "avatars.stopGraceMillis");
        checkPositive(connectTimeoutMillis, "avatars.connectTimeoutMillis");
        checkPositive(offerTimeoutMillis, "avatars.offerTimeoutMillis");
        checkPositive(requestTimeoutMillis, "avatars.requestTimeoutMillis");
        checkNonNegative(maxIdleBackendConnections, "avatars.maxIdleBackendConnections");
        checkNotBlank(addedAvatarModel, "avatars.addedAvatarModel");
        if (!NAME.matcher(addedAvatarModel).matches()) {
            throw new ConfigException("avatars.addedAvatarModel: '" + addedAvatarModel
                    + "' (expected: [A-Za-z0-9_.-]{1,64}; it becomes a command-line argument)");
        }
        checkPositive(leaseMillis, "avatars.leaseMillis");
        checkPositive(maxInstancesPerUser, "avatars.maxInstancesPerUser");
        checkNonNegative(maxWaiting, "avatars.maxWaiting");
        checkPositive(maxWaitMillis, "avatars.maxWaitMillis");
        checkNonNegative(addedMaxAgeDays, "avatars.addedMaxAgeDays");
        proxyPaths = Checks.copyOf(proxyPaths, "avatars.proxyPaths");
        for (String path : proxyPaths) {
            if (path == null || !NAME.matcher(path).matches() || path.startsWith(".")) {
                throw new ConfigException("avatars.proxyPaths: '" + path + "' (expected: one path segment such as"
                        + " offer)");
            }
        }
        catalogue = Checks.copyOf(catalogue, "avatars.catalogue");
        Set<String> names = new HashSet<>();
        for (Avatar a : catalogue) {
            if (a == null) {
                throw new ConfigException("avatars.catalogue: empty entry");
            }
            if (!names.add(a.name())) {
                throw new ConfigException("avatars.catalogue: avatar '" + a.name() + "' is listed twice");
            }
        }
    }

    /** How many instances can run at once: one per port, and per GPU at most {@link #maxInstancesPerGpu}. */
    public int capacity() {
        int ports = portRangeEnd - portRangeStart + 1;
        return gpus.isEmpty() ? ports : Math.min(ports, gpus.size() * maxInstancesPerGpu);
    }

    /**
     * One avatar users can pick: {@code model} and {@code avatarId} fill the command's {@code {model}} and
     * {@code {avatar}} placeholders; {@code previewImage} is the file {@code POST /api/avatar/preview} answers with
     * (relative to {@code workDir}; "" = none); the rest is shown in the catalogue.
     */
    public record Avatar(
            String name,
            String description,
            String status,
            String voice,
            String ttsModel,
            String avatarModel,
            String avatarId,
            boolean supportsClone,
            String previewImage) {
        public Avatar {
            checkNotBlank(name, "avatars.catalogue[].name");
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException("avatars.catalogue[].name: '" + name + "' (expected: [A-Za-z0-9_.-]{1,64})");
            }
            description = description == null ? "" : description;
            checkNotBlank(status, "avatars.catalogue[" + name + "].status");
            if (!Set.of("active", "inactive").contains(status)) {
                throw new ConfigException("avatars.catalogue[" + name + "].status: " + status
                        + " (expected: active or inactive)");
            }
            voice = voice == null ? "" : voice;
            ttsModel = ttsModel == null ? "" : ttsModel;
            checkNotBlank(avatarModel, "avatars.catalogue[" + name + "].avatarModel");
            checkNotBlank(avatarId, "avatars.catalogue[" + name + "].avatarId");
            if (!NAME.matcher(avatarModel).matches() || !NAME.matcher(avatarId).matches()) {
                throw new ConfigException("avatars.catalogue[" + name + "]: avatarModel and avatarId must match"
                        + " [A-Za-z0-9_.-]{1,64} (they become command-line arguments)");
            }
            previewImage = previewImage == null ? "" : previewImage.trim();
        }

        public boolean active() {
            return status.equals("active");
        }
    }
}
