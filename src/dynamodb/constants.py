"""DynamoDB attribute types and limits.

How each Django field type is stored is the codec registry's
(``dynamodb.storage.codecs.CODECS``): one row per field type.
"""

STRING = "S"
NUMBER = "N"
BINARY = "B"
BOOLEAN = "BOOL"
# JSON is stored natively: M for objects, L for arrays, S/N/BOOL/NULL for scalars.
NATIVE = "JSON"

# Types DynamoDB accepts for a table or index key attribute.
KEY_TYPES = frozenset({STRING, NUMBER, BINARY})

# Field types that hold relations; they take the type of the target's primary key.
RELATION_TYPES = frozenset({"ForeignKey", "OneToOneField"})

# Primary key types whose values DynamoDB allocates (dynamodb.ids) when an instance has none.
AUTO_FIELDS = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})

# Limits of DynamoDB itself (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
MAX_ITEM_BYTES = 400 * 1024
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
MAX_NUMBER_DIGITS = 38
MAX_NUMBER_EXPONENT = 125
MIN_NUMBER_EXPONENT = -130
MAX_LOCAL_INDEXES = 5
MAX_GLOBAL_INDEXES = 20
TABLE_NAME_PATTERN = r"^[a-zA-Z0-9_.-]{3,255}$"
INDEX_NAME_PATTERN = r"^[a-zA-Z0-9_.-]{3,255}$"
# A conservative upper bound of a number's stored size in bytes.
MAX_NUMBER_BYTES = 21

# Name of the global secondary index resolving a model's id to its key.
ID_INDEX_NAME = "id-index"
