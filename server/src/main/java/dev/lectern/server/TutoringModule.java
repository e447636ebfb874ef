package dev.lectern.server;

import dev.lectern.ai.AiPipeline;
import dev.lectern.companions.CompanionCatalogFile;
import dev.lectern.companions.CompanionPersonas;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.config.Secrets;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.files.UploadService;
import dev.lectern.files.UserFileRepository;
import dev.lectern.history.ChatRepository;
import dev.lectern.history.SqlChatStore;
import dev.lectern.http.Router;
import dev.lectern.http.api.ChatApi;
import dev.lectern.http.api.ChatHistoryApi;
import dev.lectern.http.api.CompanionsApi;
import dev.lectern.http.api.UserFilesApi;
import dev.lectern.http.api.VideoRoomsApi;
import dev.lectern.http.api.WebRtcConfigApi;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.rooms.RetentionPurger;
import dev.lectern.rooms.RoomAdmission;
import dev.lectern.rooms.RoomPresence;
import dev.lectern.rooms.RoomRepository;
import dev.lectern.rooms.RoomTutor;
import dev.lectern.rooms.SqlRoomEventSink;
import dev.lectern.signaling.ice.IceServersService;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tutoring feature's wiring: the AI tutor and what it works from. Companions (seeded from the catalogue file),
 * video rooms with their transcripts and retention, the chat history, the user's files, ICE servers for the rooms,
 * and the AI pipeline that answers in chats (over SSE) and in rooms ({@link RoomTutor}, which signaling feeds).
 */
final class TutoringModule implements FeatureModule {
    private static final Logger logger = LoggerFactory.getLogger(TutoringModule.class);

    private final ServerConfig config;
    private final InfrastructureModule infra;
    private final MeterRegistry meters;
    private final IntSupplier signalingPort;
    private final RoomPresence presence;
    private final IceServersService ice;
    private final CompanionRepository companions;
    private final RoomRepository rooms;
    private final SqlRoomEventSink transcripts;
    private final ChatRepository chats;
    private final UserFileRepository userFiles;
    private final AiPipeline ai;
    private final RoomTutor tutor;
    /** One upload at a time per user on every node: Redis locks of 30 s, renewed while the upload runs. */
    private final dev.lectern.core.store.ClusterLocks uploadLocks;

    /**
     * @param signalingPort the port signaling listens on, known once the server is bound
     * @param presence      who is in a room now, as signaling sees it
     */
    TutoringModule(ServerConfig config, Secrets secrets, InfrastructureModule infra, AvatarsModule avatars,
                   MeterRegistry meters, Closeables closeables, IntSupplier signalingPort, RoomPresence presence) {
        this.config = config;
        this.infra = infra;
        this.meters = meters;
        this.signalingPort = signalingPort;
        this.presence = presence;
        this.ice = new IceServersService(config.ice(), secrets, infra.clock);
        this.companions = new CompanionRepository(infra.sql, infra.clock);
        int seeded = companions.seed(CompanionCatalogFile.load(Path.of(config.history().companionsFile())));
        logger.info("companion catalogue {}: {} entries added or updated", config.history().companionsFile(), seeded);
        this.rooms = new RoomRepository(infra.sql);
        this.transcripts = closeables.add(new SqlRoomEventSink(rooms, 10_000, meters));
        closeables.add(new RetentionPurger(rooms, Duration.ofDays(config.history().retentionDays()),
                Duration.ofMinutes(config.history().purgeIntervalMinutes()), infra.blocking, infra.clock));
        this.chats = new ChatRepository(infra.sql, infra.clock);
        this.userFiles = new UserFileRepository(infra.sql, infra.clock);
        this.ai = closeables.add(new AiPipeline(config.ai(), secrets, infra.ephemeral, new SqlChatStore(chats),
                new CompanionPersonas(companions, config.ai().persona()), avatars.voice(), infra.blocking,
                infra.objects, infra.live, Duration.ofSeconds(config.storage().objects().urlTtlSeconds()), infra.dataDir,
                userFiles, infra.outbound.client()));
        meters.gauge("lectern.tts.stream.buffered.bytes", infra.live, LiveObjects::readersBufferedBytes);
        meters.gauge("lectern.objects.awaiting.elsewhere", infra.live, LiveObjects::awaitingElsewhereCount);
        ai.purgeObjectsEvery(Duration.ofHours(1), Duration.ofSeconds(config.storage().objects().maxAgeSeconds()));
        UploadService.sweepSpool(infra.uploadSpool);
        this.uploadLocks = closeables.add(dev.lectern.core.store.ClusterLocks.on(infra.ephemeral,
                Duration.ofSeconds(30)));
        this.tutor = new RoomTutor(transcripts, rooms, ai.conversations(), infra.ephemeral,
                Duration.ofSeconds(config.history().roomLiveTtlSeconds()));
    }

    /** The language models (lesson plans and exams use them too). */
    dev.lectern.ai.llm.ModelCatalog models() {
        return ai.models();
    }

    /** The AI pipeline: its models, text-to-speech and retrieval serve lesson videos and courses too. */
    AiPipeline ai() {
        return ai;
    }

    /** The ICE servers rooms hand out, for signaling too. */
    IceServersService ice() {
        return ice;
    }

    /** Who may join which signaling room: the REST rooms' owners, participants and invitees (and guests). */
    RoomAdmission admission() {
        return new RoomAdmission(rooms, infra.ephemeral, infra.blocking,
                Duration.ofSeconds(config.history().roomLiveTtlSeconds()), config.accounts().guestAccess(),
                infra.clock);
    }

    /** Where signaling sends room events: the AI tutor of a room, then the transcripts. */
    RoomTutor tutor() {
        return tutor;
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        new ChatApi(ai, infra.blocking, config.ai().sseKeepAliveMillis(), meters).register(routes);
        new UserFilesApi(new UploadService(userFiles, chats, infra.objects, ai.retrieval(),
                new UploadService.Quota(config.uploads().maxBytesPerUser(), config.uploads().maxFilesPerUser(),
                        config.uploads().minFreeDiskBytes(), infra.uploadSpool)), userFiles,
                MultipartLimits.oneFile(config.uploads().maxFileBytes(), config.uploads().maxParts(),
                        infra.uploadSpool), infra.blocking, uploadLocks).register(routes);
        new WebRtcConfigApi(ice).register(routes);
        new CompanionsApi(companions).register(routes);
        new VideoRoomsApi(rooms, companions, infra.ephemeral, ice, config.history(), signalingPort, presence,
                () -> transcripts.awaitWritten(Duration.ofSeconds(5)), infra.clock).register(routes);
        new ChatHistoryApi(chats, companions, infra.ephemeral,
                Duration.ofSeconds(config.history().roomLiveTtlSeconds())).register(routes);
    }
}
