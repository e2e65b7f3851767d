from pymongo import ASCENDING


def ensure_indexes(db):
    return [db["things"].create_index([("name", ASCENDING)], unique=True, name="name")]
