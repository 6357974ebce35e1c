from codemill.datasets.tokens import approximate_tokens, token_counter


def test_approximation_counts_words_and_punctuation():
    assert approximate_tokens("print(x, 'hi')") == 8
    assert token_counter(None) is approximate_tokens


def test_a_tokenizer_named_in_the_recipe_is_used(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocabulary = {"[UNK]": 0, "hello": 1, "world": 2}
    backend = Tokenizer(models.WordLevel(vocab=vocabulary, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]").save_pretrained(tmp_path)
    count = token_counter(str(tmp_path))
    assert count("hello world hello") == 3
    assert count("hello, world!") == 2 != approximate_tokens("hello, world!")  # its own split
