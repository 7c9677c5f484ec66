"""Tables of the Python calls that load models, adapters and datasets or call hosted APIs.

Data, not logic: :mod:`modelbom.crawlers.python` looks calls up here. Each entry says
which argument holds the id (position and keyword names) and what the id refers to.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelbom.model import Kind


@dataclass(frozen=True, slots=True)
class IdArg:
    """Where a call takes its id: a positional index and/or keyword names."""

    index: int | None
    keywords: tuple[str, ...]


MODEL_ID_KWARGS = (
    "pretrained_model_name_or_path",
    "pretrained_model_or_path",
    "pretrained_model_link_or_path",
    "model_name_or_path",
    "model_id",
    "repo_id",
    "model_name",  # unsloth FastLanguageModel.from_pretrained(model_name=...)
)
FROM_PRETRAINED = IdArg(0, MODEL_ID_KWARGS)

# Methods on any receiver that load an adapter onto a pipeline or model.
ADAPTER_METHODS: dict[str, IdArg] = {
    name: IdArg(0, ("pretrained_model_name_or_path_or_dict", "pretrained_model_name_or_path",
                    "peft_model_id", "model_id"))
    for name in ("load_lora_weights", "load_lora_adapter", "load_textual_inversion",
                 "load_ip_adapter")
}  # fmt: skip

PEFT_CONFIG_CLASSES = frozenset({"PeftConfig", "LoraConfig", "PeftMixedModel"})

DATASET_BUILDERS = frozenset(
    {
        "json", "csv", "parquet", "text", "arrow", "pandas", "sql", "generator", "xml",
        "spark", "webdataset", "imagefolder", "audiofolder", "videofolder", "pdffolder",
        "niftifolder", "numpy", "folder_based_builder", "cache",
    }
)  # fmt: skip

# Hub-backed wrappers (LangChain, LlamaIndex, vLLM, huggingface_hub, fastembed):
# class name -> where the Hub id is; short_org maps single names to an organisation.
HUB_CLASSES: dict[str, tuple[IdArg, str | None]] = {
    "HuggingFaceEmbeddings": (IdArg(None, ("model_name", "model")), "sentence-transformers"),
    "HuggingFaceBgeEmbeddings": (IdArg(None, ("model_name",)), None),
    "HuggingFaceInstructEmbeddings": (IdArg(None, ("model_name",)), None),
    "HuggingFaceEmbedding": (IdArg(None, ("model_name",)), "sentence-transformers"),
    "HuggingFaceEndpoint": (IdArg(None, ("repo_id", "model")), None),
    "HuggingFaceEndpointEmbeddings": (IdArg(None, ("model", "repo_id")), None),
    "HuggingFaceInferenceAPI": (IdArg(None, ("model_name", "model")), None),
    "HuggingFaceLLM": (IdArg(None, ("model_name", "tokenizer_name")), None),
    "InferenceClient": (IdArg(0, ("model",)), None),
    "AsyncInferenceClient": (IdArg(0, ("model",)), None),
    "TextEmbedding": (IdArg(0, ("model_name",)), None),
    "SentenceTransformer": (IdArg(0, ("model_name_or_path",)), "sentence-transformers"),
    "CrossEncoder": (IdArg(0, ("model_name_or_path", "model_name")), None),
}
# Classes whose module must be imported for the name to mean the Hub wrapper.
HUB_CLASS_MODULES: dict[str, str] = {"LLM": "vllm", "AsyncLLMEngine": "vllm"}
HUB_METHODS: dict[str, IdArg] = {
    "from_model_id": IdArg(None, ("model_id",)),  # HuggingFacePipeline.from_model_id
    "text_generation": IdArg(None, ("model",)),  # InferenceClient methods
    "chat_completion": IdArg(None, ("model",)),
    "feature_extraction": IdArg(None, ("model",)),
    "text_to_image": IdArg(None, ("model",)),
}

# Hosted-model wrappers: class name -> provider. The id is under ``model`` (or a synonym).
HOSTED_CLASSES: dict[str, str] = {
    "ChatOpenAI": "openai",
    "OpenAIEmbeddings": "openai",
    "OpenAIEmbedding": "openai",
    "OpenAI": "openai",
    "AsyncOpenAI": "openai",
    "OpenAIResponses": "openai",
    "AzureChatOpenAI": "azure-openai",
    "AzureOpenAIEmbeddings": "azure-openai",
    "AzureOpenAI": "azure-openai",
    "ChatAnthropic": "anthropic",
    "Anthropic": "anthropic",
    "ChatGoogleGenerativeAI": "google",
    "GoogleGenerativeAIEmbeddings": "google",
    "Gemini": "google",
    "GenerativeModel": "google",
    "GoogleGenAI": "google",
    "GeminiEmbedding": "google",
    "ChatVertexAI": "vertex-ai",
    "VertexAI": "vertex-ai",
    "VertexAIEmbeddings": "vertex-ai",
    "ChatMistralAI": "mistral",
    "MistralAI": "mistral",
    "MistralAIEmbeddings": "mistral",
    "ChatCohere": "cohere",
    "CohereEmbeddings": "cohere",
    "CohereRerank": "cohere",
    "Cohere": "cohere",
    "ChatGroq": "groq",
    "Groq": "groq",
    "ChatTogether": "together",
    "TogetherLLM": "together",
    "TogetherEmbeddings": "together",
    "ChatBedrock": "aws-bedrock",
    "ChatBedrockConverse": "aws-bedrock",
    "BedrockEmbeddings": "aws-bedrock",
    "BedrockLLM": "aws-bedrock",
    "Bedrock": "aws-bedrock",
    "BedrockConverse": "aws-bedrock",
    "ChatDeepSeek": "deepseek",
    "ChatXAI": "xai",
    "ChatFireworks": "fireworks",
    "ChatPerplexity": "perplexity",
}
HOSTED_MODEL_KWARGS = ("model", "model_name", "model_id", "modelId")
# ``GenerativeModel("gemini-1.5-pro")``: the model is the first argument.
HOSTED_POSITIONAL = frozenset({"GenerativeModel", "Gemini"})

OLLAMA_CLASSES = frozenset(
    {"ChatOllama", "OllamaLLM", "OllamaEmbeddings", "Ollama", "OllamaEmbedding"}
)
OLLAMA_FUNCTIONS: dict[str, IdArg] = {
    "chat": IdArg(None, ("model",)),
    "generate": IdArg(None, ("model",)),
    "embeddings": IdArg(None, ("model",)),
    "embed": IdArg(None, ("model",)),
    "pull": IdArg(0, ("model",)),
    "show": IdArg(0, ("model",)),
}

# SDK methods that take ``model=`` on a client: chat.completions.create, messages.create,
# models.generate_content, co.chat, client.chat.complete, bedrock converse, ...
HOSTED_METHODS = frozenset(
    {
        "create", "parse", "stream", "generate", "complete", "complete_async", "stream_async",
        "generate_content", "generate_content_stream", "generate_images", "embed_content",
        "count_tokens", "chat", "chat_stream", "embed", "rerank", "completion", "acompletion",
        "embedding", "aembedding", "image_generation", "transcription",
    }
)  # fmt: skip
BEDROCK_METHODS = frozenset(
    {"invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"}
)

# Imported top-level packages that say which hosted provider a client call talks to.
PROVIDER_PACKAGES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "vertexai": "vertex-ai",
    "mistralai": "mistral",
    "cohere": "cohere",
    "groq": "groq",
    "together": "together",
    "boto3": "aws-bedrock",
    "litellm": "litellm",
}

# litellm / MLflow style "provider/model" and "provider:/model" prefixes.
PREFIX_PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "azure": "azure-openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "google": "google",
    "vertex_ai": "vertex-ai",
    "bedrock": "aws-bedrock",
    "mistral": "mistral",
    "cohere": "cohere",
    "groq": "groq",
    "together_ai": "together",
    "togetherai": "together",
    "deepseek": "deepseek",
    "xai": "xai",
    "fireworks_ai": "fireworks",
    "perplexity": "perplexity",
    "openrouter": "openrouter",
}

TIMM_FUNCTIONS = frozenset({"create_model"})
OPEN_CLIP_FUNCTIONS = frozenset(
    {"create_model_and_transforms", "create_model", "create_model_from_pretrained", "get_tokenizer"}
)

KIND_OF_LOADED = {Kind.MODEL, Kind.ADAPTER}
