package dev.lectern.core.objects;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Objects in any S3-compatible store (AWS S3, MinIO, S3Proxy) through the AWS SDK v2 with the URL-connection HTTP
 * client: presigned GET URLs for the browser, path-style addressing when asked (MinIO, S3Proxy), the SDK's standard
 * retries with exponential backoff and jitter, and expiry by {@link #purgeOlderThan} (or a bucket lifecycle rule).
 */
public final class S3ObjectStore implements ObjectStore {
    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;
    private final Clock clock;

    public S3ObjectStore(URI endpoint, String region, String bucket, boolean pathStyle, String accessKey,
                         String secretKey, int maxAttempts, Clock clock) {
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(accessKey, secretKey));
        S3Configuration s3Config = S3Configuration.builder().pathStyleAccessEnabled(pathStyle).build();
        var client = S3Client.builder()
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3Config)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30))
                        .build())
                .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(maxAttempts)));
        var signer = S3Presigner.builder().region(Region.of(region)).credentialsProvider(credentials)
                .serviceConfiguration(s3Config);
        if (endpoint != null) {
            client.endpointOverride(endpoint);
            signer.endpointOverride(endpoint);
        }
        this.s3 = client.build();
        this.presigner = signer.build();
        this.bucket = bucket;
        this.clock = clock;
    }

    public String bucket() {
        return bucket;
    }

    /** Creates the bucket when it does not exist yet. */
    public S3ObjectStore ensureBucket() {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (NoSuchBucketException e) {
            s3.createBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            s3.createBucket(b -> b.bucket(bucket));
        }
        return this;
    }

    @Override
    public void put(String key, byte[] bytes) {
        ObjectStore.checkKey(key);
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(ObjectStore.contentType(key)),
                RequestBody.fromBytes(bytes));
    }

    @Override
    public void put(String key, Path file) {
        ObjectStore.checkKey(key);
        // fromFile sends the length first and streams the file; it is re-read from disk on a retry
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(ObjectStore.contentType(key)),
                RequestBody.fromFile(file));
    }

    @Override
    public boolean copyTo(String key, Path target) {
        ObjectStore.checkKey(key);
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key))) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        ObjectStore.checkKey(key);
        try {
            ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            return Optional.of(r.asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean exists(String key) {
        ObjectStore.checkKey(key);
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public boolean delete(String key) {
        if (!exists(key)) {
            return false;
        }
        s3.deleteObject(b -> b.bucket(bucket).key(key));
        return true;
    }

    @Override
    public String signedUrl(String key, Duration ttl) {
        ObjectStore.checkKey(key);
        return presigner.presignGetObject(p -> p.signatureDuration(ttl)
                .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString();
    }

    @Override
    public int purgeOlderThan(Duration age) {
        Instant cutoff = clock.instant().minus(age);
        int removed = 0;
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            if (o.lastModified().isBefore(cutoff) && !(o.key().indexOf('/') > 0 && ObjectStore.kept(o.key().substring(0, o.key().indexOf('/'))))) {
                s3.deleteObject(b -> b.bucket(bucket).key(o.key()));
                removed++;
            }
        }
        return removed;
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }
}
