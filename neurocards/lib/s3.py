"""The STORAGES entry for MEDIA_STORAGE=s3: a private bucket through django-storages, read through presigned GETs."""

from botocore.config import Config


def storage(
    *, bucket, endpoint_url, region, access_key, secret_key, addressing_style="auto", url_seconds=300, timeout=30.0
):
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key,
            "secret_key": secret_key,
            # No ACL is sent: objects stay private to the bucket's owner, and buckets with ACLs disabled
            # (AWS's default since 2023) refuse any ACL but bucket-owner-full-control. See docs/media.md.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": url_seconds,
            # Names are random: no existence check (a round trip) before each save.
            "file_overwrite": True,
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": addressing_style},
                connect_timeout=min(timeout, 10),
                read_timeout=timeout,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
