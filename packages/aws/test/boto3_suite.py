"""AWS KMS behaviour, written from the AWS KMS API Reference, run with boto3 against a
Strongroom endpoint (boto3.test.ts starts the server and runs this file).

Usage: python3 boto3_suite.py ENDPOINT_URL REGION ACCOUNT ACCESS_KEY_ID SECRET

Every check runs; the last line of output is JSON: {"checks": n, "failures": [...]}.
Client-side parameter validation is off, so the server's own validation answers, and
retries are off, so the first answer is the one checked.
"""
import json
import sys
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT, REGION, ACCOUNT, ACCESS_KEY_ID, SECRET = sys.argv[1:6]
kms = boto3.client(
    "kms", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET,
    config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
)
checks = 0
failures = []


def arn(key_id):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"


def alias_arn(name):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:{name}"


def check(name, condition, detail=""):
    global checks
    checks += 1
    if not condition:
        failures.append(f"{name}: {detail}")


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", ""), e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, None, 200


def refuses(name, code, call, message=None, **kwargs):
    got, text, status = error_of(call, **kwargs)
    check(name, got == code, f"expected {code}, got {got} ({text})")
    check(name + " (client fault)", status < 500, f"status {status}")
    if message is not None:
        check(name + " (message)", text == message, f"expected {message!r}, got {text!r}")


def new_key(**kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]["KeyId"]


def case(function):
    try:
        function()
    except Exception:  # a check that crashed is a failure, reported with its trace
        failures.append(f"{function.__name__} crashed: {traceback.format_exc()}")
    return function


@case
def keys():
    metadata = kms.create_key(Description="my key", KeyUsage="ENCRYPT_DECRYPT", Tags=[{"TagKey": "project", "TagValue": "x"}])["KeyMetadata"]
    check("create_key arn", metadata["Arn"] == arn(metadata["KeyId"]), metadata["Arn"])
    check("create_key account", metadata["AWSAccountId"] == ACCOUNT)
    check("create_key fields", (metadata["KeySpec"], metadata["KeyState"], metadata["Enabled"], metadata["Origin"], metadata["KeyManager"])
          == ("SYMMETRIC_DEFAULT", "Enabled", True, "AWS_KMS", "CUSTOMER"), str(metadata))
    check("create_key algorithms", metadata["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"] and "SigningAlgorithms" not in metadata)
    key_id = metadata["KeyId"]
    for ref in (key_id, arn(key_id)):
        check("describe_key " + ref, kms.describe_key(KeyId=ref)["KeyMetadata"]["Description"] == "my key")
    for ref in ("alias/does-not-exist", alias_arn("alias/does-not-exist"), "invalid", "d25652e4-d2d2-49f7-929a-671ccda580c6"):
        refuses("describe_key " + ref, "NotFoundException", kms.describe_key, KeyId=ref)
    signing = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]
    check("ecc signing algorithms", signing["SigningAlgorithms"] == ["ECDSA_SHA_256"] and "EncryptionAlgorithms" not in signing)
    refuses("create_key usage AWS refuses", "ValidationException", kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    refuses("create_key unknown spec", "ValidationException", kms.create_key, KeySpec="AES_512")
    refuses("create_key description too long", "ValidationException", kms.create_key, Description="d" * 8193)
    listed = [k["KeyId"] for k in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}).build_full_result()["Keys"]]
    check("list_keys pages", key_id in listed and signing["KeyId"] in listed, str(listed))
    refuses("list_keys limit 0", "ValidationException", kms.list_keys, Limit=0)
    refuses("list_keys limit 1001", "ValidationException", kms.list_keys, Limit=1001)
    refuses("list_keys marker", "InvalidMarkerException", kms.list_keys, Marker="not-a-marker")


@case
def lifecycle():
    key_id = new_key(Description="old")
    kms.update_key_description(KeyId=key_id, Description="new")
    check("update_key_description", kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "new")
    kms.disable_key(KeyId=key_id)
    check("disable_key", kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled")
    refuses("encrypt with a disabled key", "DisabledException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    kms.enable_key(KeyId=key_id)
    check("enable_key", kms.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] is True)
    refuses("schedule_key_deletion window 6", "ValidationException", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=6)
    refuses("schedule_key_deletion window 31", "ValidationException", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=31)
    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    check("schedule_key_deletion answer", scheduled["KeyId"] == arn(key_id) and scheduled["KeyState"] == "PendingDeletion" and "DeletionDate" in scheduled, str(scheduled))
    refuses("encrypt with a key pending deletion", "KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    check("cancel_key_deletion", kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == arn(key_id))
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    check("cancelled key is Disabled, without DeletionDate", metadata["KeyState"] == "Disabled" and "DeletionDate" not in metadata, str(metadata))
    refuses("cancel_key_deletion of a key not pending", "KMSInvalidStateException", kms.cancel_key_deletion, KeyId=key_id)
    for call, kwargs in ((kms.enable_key, {}), (kms.disable_key, {}), (kms.schedule_key_deletion, {}), (kms.cancel_key_deletion, {}),
                         (kms.enable_key_rotation, {}), (kms.disable_key_rotation, {}), (kms.get_key_rotation_status, {}),
                         (kms.get_key_policy, {"PolicyName": "default"}), (kms.list_key_policies, {}), (kms.update_key_description, {"Description": "x"})):
        refuses(f"{call.__name__} of a missing key", "NotFoundException", call, KeyId="12366f9b-1230-123d-123e-123e6ae60c02", **kwargs)


@case
def cryptography():
    key_id = new_key()
    for plaintext in (b"some encodeable plaintext", b"\xec\x8a\xcf\xb6r\xe9\xb5\xeb\xff\xa23\x16", "ø˚∆øˆˆ∆ßçøˆˆçßøˆ¨¥".encode()):
        encrypted = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext={"purpose": "test"})
        check("encrypt KeyId is the ARN", encrypted["KeyId"] == arn(key_id))
        decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"purpose": "test"})
        check("decrypt", decrypted["Plaintext"] == plaintext and decrypted["KeyId"] == arn(key_id))
        refuses("decrypt with another context", "InvalidCiphertextException", kms.decrypt, CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"purpose": "other"})
    refuses("encrypt empty plaintext", "ValidationException", kms.encrypt, KeyId=key_id, Plaintext=b"",
            message="1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1")
    refuses("encrypt 4097 bytes", "ValidationException", kms.encrypt, KeyId=key_id, Plaintext=b"x" * 4097)
    refuses("decrypt garbage", "InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"garbage" * 10)
    other = new_key()
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    refuses("decrypt naming another key", "IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, KeyId=other)
    for kwargs, length in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024)):
        data_key = kms.generate_data_key(KeyId=key_id, **kwargs)
        check(f"generate_data_key {kwargs}", len(data_key["Plaintext"]) == length and kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"])
    for kwargs in ({"KeySpec": "AES_257"}, {"KeySpec": "AES_128", "NumberOfBytes": 16}, {"NumberOfBytes": 2048}, {}):
        refuses(f"generate_data_key {kwargs}", "ValidationException", kms.generate_data_key, KeyId=key_id, **kwargs)
    check("generate_data_key_without_plaintext", "Plaintext" not in kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256"))
    re_encrypted = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other, DestinationEncryptionContext={"another": "context"})
    check("re_encrypt", re_encrypted["SourceKeyId"] == arn(key_id) and re_encrypted["KeyId"] == arn(other))
    check("re_encrypted decrypts", kms.decrypt(CiphertextBlob=re_encrypted["CiphertextBlob"], EncryptionContext={"another": "context"})["Plaintext"] == b"x")
    refuses("re_encrypt to a missing alias", "NotFoundException", kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId="alias/DoesNotExist")
    for n in (1, 44, 1024):
        check(f"generate_random {n}", len(kms.generate_random(NumberOfBytes=n)["Plaintext"]) == n)
    for n in (0, 1025):
        refuses(f"generate_random {n}", "ValidationException", kms.generate_random, NumberOfBytes=n)
    signing = new_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    signature = kms.sign(KeyId=signing, Message=b"message", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    check("sign/verify", kms.verify(KeyId=signing, Message=b"message", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True)
    refuses("verify a wrong message", "KMSInvalidSignatureException", kms.verify, KeyId=signing, Message=b"other", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")
    refuses("sign with an encryption key", "InvalidKeyUsageException", kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    check("get_public_key", kms.get_public_key(KeyId=signing)["KeySpec"] == "ECC_NIST_P256")
    refuses("get_public_key of a symmetric key", "UnsupportedOperationException", kms.get_public_key, KeyId=key_id)
    mac_key = new_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    mac = kms.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    check("generate_mac/verify_mac", kms.verify_mac(KeyId=mac_key, Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"] is True)
    refuses("verify_mac of another message", "KMSInvalidMacException", kms.verify_mac, KeyId=mac_key, Message=b"n", Mac=mac, MacAlgorithm="HMAC_SHA_256")
    refuses("encrypt with an HMAC key", "InvalidKeyUsageException", kms.encrypt, KeyId=mac_key, Plaintext=b"x")


@case
def aliases():
    key_id = new_key(Description="aliased")
    kms.create_alias(AliasName="alias/my-alias", TargetKeyId=key_id)
    for ref in ("alias/my-alias", alias_arn("alias/my-alias")):
        check("describe_key via " + ref, kms.describe_key(KeyId=ref)["KeyMetadata"]["Description"] == "aliased")
        kms.generate_data_key(KeyId=ref, NumberOfBytes=32)
    for name in ("alias/my-alias!", "alias/my-alias$", "alias/my-alias@"):
        refuses("create_alias " + name, "ValidationException", kms.create_alias, AliasName=name, TargetKeyId=key_id,
                message=f"1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
    for name in ("alias/my:alias", "alias/:alias"):
        refuses("create_alias " + name, "ValidationException", kms.create_alias, AliasName=name, TargetKeyId=key_id,
                message=f"{name} contains invalid characters for an alias")
    for name in ("alias/aws/ebs", "alias/aws/s3"):
        refuses("create_alias " + name, "NotAuthorizedException", kms.create_alias, AliasName=name, TargetKeyId=key_id)
    refuses("create_alias wrong prefix", "ValidationException", kms.create_alias, AliasName="wrongprefix/my-alias", TargetKeyId=key_id)
    refuses("delete_alias wrong prefix", "ValidationException", kms.delete_alias, AliasName="wrongprefix/my-alias")
    for name in ("alias/my-alias_/", "alias/my_alias-/"):
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    refuses("create_alias targeting an alias", "ValidationException", kms.create_alias, AliasName="alias/other", TargetKeyId="alias/my-alias",
            message="Aliases must refer to keys. Not aliases")
    refuses("create_alias duplicate", "AlreadyExistsException", kms.create_alias, AliasName="alias/my-alias", TargetKeyId=key_id,
            message=f"An alias with the name {alias_arn('alias/my-alias')} already exists")
    refuses("delete_alias missing", "NotFoundException", kms.delete_alias, AliasName="alias/unknown-alias",
            message=f"Alias {alias_arn('alias/unknown-alias')} is not found.")
    listed = kms.list_aliases(KeyId=key_id)["Aliases"]
    check("list_aliases by key", {"AliasName": "alias/my-alias", "AliasArn": alias_arn("alias/my-alias"), "TargetKeyId": key_id} in listed, str(listed))
    second = new_key()
    kms.update_alias(AliasName="alias/my-alias", TargetKeyId=second)
    check("update_alias", kms.describe_key(KeyId="alias/my-alias")["KeyMetadata"]["KeyId"] == second)
    signing = new_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    refuses("update_alias to a key of another type", "ValidationException", kms.update_alias, AliasName="alias/my-alias", TargetKeyId=signing)
    kms.delete_alias(AliasName="alias/my-alias")
    kms.create_alias(AliasName="alias/my-alias", TargetKeyId=key_id)
    refuses("list_aliases limit 101", "ValidationException", kms.list_aliases, Limit=101)


@case
def key_id_only_members():
    key_id = new_key(Description="original")
    kms.create_alias(AliasName="alias/only-ids", TargetKeyId=key_id)
    calls = (
        (kms.enable_key_rotation, {}), (kms.get_key_rotation_status, {}), (kms.disable_key_rotation, {}), (kms.disable_key, {}),
        (kms.enable_key, {}), (kms.update_key_description, {"Description": "changed"}),
        (kms.tag_resource, {"Tags": [{"TagKey": "k", "TagValue": "v"}]}), (kms.untag_resource, {"TagKeys": ["k"]}),
        (kms.list_resource_tags, {}), (kms.list_key_policies, {}), (kms.get_key_policy, {"PolicyName": "default"}),
        (kms.rotate_key_on_demand, {}), (kms.list_key_rotations, {}), (kms.schedule_key_deletion, {"PendingWindowInDays": 7}),
        (kms.cancel_key_deletion, {}), (kms.put_key_policy, {"PolicyName": "default", "Policy": "{}"}), (kms.get_key_last_usage, {}),
    )
    for call, kwargs in calls:
        for ref in ("alias/only-ids", alias_arn("alias/only-ids")):
            refuses(f"{call.__name__} with {ref}", "NotFoundException", call, message=f"Invalid keyId {ref}", KeyId=ref, **kwargs)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    check("nothing changed", (metadata["KeyState"], metadata["Description"]) == ("Enabled", "original"), str(metadata))


@case
def tags():
    key_id = new_key(Tags=[{"TagKey": "key1", "TagValue": "value1"}, {"TagKey": "key2", "TagValue": "value2"}])
    check("tags from create_key", kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "key1", "TagValue": "value1"}, {"TagKey": "key2", "TagValue": "value2"}])
    kms.untag_resource(KeyId=arn(key_id), TagKeys=["key1"])
    check("untag_resource", kms.list_resource_tags(KeyId=arn(key_id))["Tags"] == [{"TagKey": "key2", "TagValue": "value2"}])
    for call, kwargs in ((kms.tag_resource, {"Tags": []}), (kms.untag_resource, {"TagKeys": []}), (kms.list_resource_tags, {})):
        refuses(f"{call.__name__} unknown", "NotFoundException", call, KeyId="unknown", **kwargs)
    many = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]
    refuses("tag_resource 51 tags", "LimitExceededException", kms.tag_resource, KeyId=key_id, Tags=many)
    refuses("tag_resource aws: prefix", "TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": "v"}])
    refuses("list_resource_tags limit 51", "ValidationException", kms.list_resource_tags, KeyId=key_id, Limit=51)


@case
def rotation():
    key_id = new_key()
    check("rotation off", kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=arn(key_id))
    check("rotation on", status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180 and "NextRotationDate" in status, str(status))
    for days in (89, 2561):
        refuses(f"rotation period {days}", "ValidationException", kms.enable_key_rotation, KeyId=key_id, RotationPeriodInDays=days)
    kms.disable_key_rotation(KeyId=key_id)
    check("rotation off again", kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False)
    kms.rotate_key_on_demand(KeyId=key_id)
    kms.rotate_key_on_demand(KeyId=key_id)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    check("list_key_rotations", len(rotations) == 2 and all(r["KeyId"] == arn(key_id) for r in rotations), str(rotations))
    asymmetric = new_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    refuses("enable_key_rotation asymmetric", "UnsupportedOperationException", kms.enable_key_rotation, KeyId=asymmetric)
    refuses("rotate_key_on_demand asymmetric", "UnsupportedOperationException", kms.rotate_key_on_demand, KeyId=asymmetric)
    kms.disable_key(KeyId=key_id)
    refuses("enable_key_rotation disabled", "DisabledException", kms.enable_key_rotation, KeyId=key_id)


@case
def policies():
    key_id = new_key()
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    check("default key policy", policy == {
        "Version": "2012-10-17", "Id": "key-default-1",
        "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
    }, str(policy))
    check("list_key_policies", kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"])
    refuses("put_key_policy missing key", "NotFoundException", kms.put_key_policy, KeyId="00000000-0000-0000-0000-000000000000", PolicyName="default", Policy="{}")
    iam_policy = json.dumps({
        "Version": "2012-10-17", "Id": "custom",
        "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
    }, indent=2)
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=iam_policy)
    check("get_key_policy returns the policy as put", kms.get_key_policy(KeyId=key_id)["Policy"] == iam_policy)
    refuses("put_key_policy malformed", "MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy='{"Version": "2012-10-17"}')


@case
def grants():
    key_id = new_key()
    grantee = f"arn:aws:iam::{ACCOUNT}:role/r"
    created = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["Decrypt", "Encrypt"], Name="g1",
                               Constraints={"EncryptionContextSubset": {"tenant": "acme"}})
    check("create_grant id", len(created["GrantId"]) == 64, str(created))
    again = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["Decrypt", "Encrypt"], Name="g1",
                             Constraints={"EncryptionContextSubset": {"tenant": "acme"}})
    check("create_grant retried by name", again["GrantId"] == created["GrantId"])
    listed = kms.list_grants(KeyId=key_id)
    check("list_grants", [g["GrantId"] for g in listed["Grants"]] == [created["GrantId"]] and listed["Truncated"] is False, str(listed))
    entry = listed["Grants"][0]
    check("list_grants entry", entry["KeyId"] == arn(key_id) and entry["GranteePrincipal"] == grantee and entry["Name"] == "g1"
          and entry["Constraints"] == {"EncryptionContextSubset": {"tenant": "acme"}} and entry["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root", str(entry))
    kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=[created["GrantToken"]])
    refuses("grant token forged", "InvalidGrantTokenException", kms.encrypt, KeyId=key_id, Plaintext=b"x", GrantTokens=["bm90IGEgdG9rZW4="])
    refuses("list_grants bad grant id", "InvalidGrantIdException", kms.list_grants, KeyId=key_id, GrantId="nope")
    refuses("create_grant alias", "NotFoundException", kms.create_grant, KeyId="alias/nope", GranteePrincipal=grantee, Operations=["Decrypt"])
    refuses("create_grant bad operation", "ValidationException", kms.create_grant, KeyId=key_id, GranteePrincipal=grantee, Operations=["Fly"])
    kms.revoke_grant(KeyId=key_id, GrantId=created["GrantId"])
    refuses("revoke_grant twice", "NotFoundException", kms.revoke_grant, KeyId=key_id, GrantId=created["GrantId"])
    retiring = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, RetiringPrincipal=grantee, Operations=["Decrypt"])
    check("list_retirable_grants", [g["GrantId"] for g in kms.list_retirable_grants(RetiringPrincipal=grantee)["Grants"]] == [retiring["GrantId"]])
    kms.retire_grant(GrantToken=retiring["GrantToken"])
    check("retire_grant", kms.list_grants(KeyId=key_id)["Grants"] == [])


@case
def unsupported():
    key_id = new_key()
    refuses("generate_data_key_pair SM2", "UnsupportedOperationException", kms.generate_data_key_pair, KeyId=key_id, KeyPairSpec="SM2")


@case
def data_key_pairs():
    key_id = new_key()
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P384", EncryptionContext={"purpose": "pair"})
    check("generate_data_key_pair", pair["KeyId"] == arn(key_id) and pair["KeyPairSpec"] == "ECC_NIST_P384"
          and len(pair["PublicKey"]) > 0 and len(pair["PrivateKeyPlaintext"]) > 0, str(sorted(pair)))
    opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"purpose": "pair"})["Plaintext"]
    check("the private key decrypts", opened == pair["PrivateKeyPlaintext"])
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="ECC_NIST_EDWARDS25519")
    check("generate_data_key_pair_without_plaintext", "PrivateKeyPlaintext" not in bare and bare["KeyPairSpec"] == "ECC_NIST_EDWARDS25519")
    signing = new_key(KeySpec="ECC_NIST_P521", KeyUsage="SIGN_VERIFY")
    refuses("generate_data_key_pair with a signing key", "InvalidKeyUsageException", kms.generate_data_key_pair, KeyId=signing, KeyPairSpec="RSA_2048")
    metadata = kms.describe_key(KeyId=signing)["KeyMetadata"]
    check("P-521 signing algorithms", metadata["SigningAlgorithms"] == ["ECDSA_SHA_512"], str(metadata))
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_512")["Signature"]
    check("verify P-521", kms.verify(KeyId=signing, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_512")["SignatureValid"] is True)


print(json.dumps({"checks": checks, "failures": failures}))
