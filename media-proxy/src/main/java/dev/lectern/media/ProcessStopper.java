package dev.lectern.media;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stops child processes and their descendants: SIGTERM, then SIGKILL after a grace period, then waits for them to be
 * gone. Blocks; call it from a manager thread.
 */
final class ProcessStopper {
    private static final long KILL_WAIT_MILLIS = 5000;

    private ProcessStopper() {}

    static void stop(Process process, long graceMillis) {
        stopAll(List.of(process), graceMillis);
    }

    static void stopAll(List<Process> processes, long graceMillis) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (Process p : processes) {
            // descendants first: once the parent is gone they are re-parented and can no longer be found
            p.descendants().forEach(handles::add);
            handles.add(p.toHandle());
        }
        for (ProcessHandle h : handles) {
            h.destroy();
        }
        if (!awaitAll(handles, graceMillis)) {
            for (ProcessHandle h : handles) {
                if (h.isAlive()) {
                    h.destroyForcibly();
                }
            }
            awaitAll(handles, KILL_WAIT_MILLIS);
        }
    }

    private static boolean awaitAll(List<ProcessHandle> handles, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        CompletableFuture<?>[] exits = handles.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(exits).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return handles.stream().noneMatch(ProcessHandle::isAlive);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return handles.stream().noneMatch(ProcessHandle::isAlive);
        }
    }
}
