package dev.lectern.jobs.webhook;

/**
 * One outbound webhook message to one endpoint, as the delivery log keeps it: PENDING until a 2xx, DELIVERED, or
 * FAILED once its attempts are used up (or the endpoint answered 410 Gone). A {@code lastStatusCode} of 0 means
 * no HTTP answer ({@code lastError} says why).
 */
public record WebhookDelivery(String id, String endpoint, String eventType, String jobId, String payload,
                              String status, int attempts, Integer lastStatusCode, String lastError,
                              String deliveryJobId, long createdAt, long updatedAt) {}
