package dev.lectern.media;

import dev.lectern.core.config.AvatarsConfig;

/** Looks an avatar up in the configured catalogue, for both kinds of manager. */
final class Catalogue {
    private Catalogue() {}

    /** The active avatar of that name; an {@link AvatarException} when there is none or it is switched off. */
    static AvatarsConfig.Avatar require(AvatarsConfig config, String name) {
        AvatarsConfig.Avatar avatar = config.catalogue().stream().filter(a -> a.name().equals(name))
                .findFirst().orElse(null);
        if (avatar == null) {
            throw new AvatarException(AvatarException.Kind.UNKNOWN_AVATAR, "no avatar named '" + name + "'");
        }
        if (!avatar.active()) {
            throw new AvatarException(AvatarException.Kind.INACTIVE, "avatar '" + name + "' is not available");
        }
        return avatar;
    }
}
