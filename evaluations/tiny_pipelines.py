"""Tiny random-weight diffusers pipelines, built offline from configs.

They exercise the real generation path (``from_pretrained`` from a folder, the scheduler,
the transformer, the temporal VAE, offload, tiling, dtype, callbacks) in seconds on a CPU,
with no download: the text encoder is a 2-layer UMT5 and the tokenizer a word-level one
trained here. The videos they make are noise-shaped, not pictures; tests check shapes,
determinism, progress and cancel, never what the video shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "save_tiny_lora",
    "save_tiny_ltx",
    "save_tiny_modelscope",
    "save_tiny_wan",
    "save_tiny_wan22",
    "save_tiny_wan_i2v",
    "save_wan_shaped",
]

WORDS = [
    "a",
    "the",
    "cat",
    "dog",
    "red",
    "blue",
    "car",
    "runs",
    "walks",
    "on",
    "in",
    "beach",
    "street",
    "city",
    "night",
    "day",
    "slowly",
    "fast",
]


def _tokenizer():  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {word: index for index, word in enumerate(["<pad>", "</s>", "<unk>", *WORDS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def _tiny_t5(tokenizer: Any, umt5: bool) -> Any:
    """A 2-layer text encoder of width 32 over ``tokenizer``: UMT5 (Wan) or T5 (LTX-Video)."""
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    config: Any = UMT5Config if umt5 else T5Config
    model: Any = UMT5EncoderModel if umt5 else T5EncoderModel
    return model(config(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                        relative_attention_num_buckets=8))  # fmt: skip


def save_tiny_wan(folder: Path, seed: int = 0, unipc: bool = False) -> Path:
    """A Wan 2.1-shaped text-to-video pipeline with random weights, saved to ``folder``; with
    ``unipc`` its scheduler is the released model's (UniPC with flow sigmas), whose
    configuration other multistep schedulers can take."""
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    text_encoder = _tiny_t5(tokenizer, umt5=True)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])  # fmt: skip
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                        in_channels=16, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
                                        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=32)  # fmt: skip
    scheduler: Any = FlowMatchEulerDiscreteScheduler(shift=7.0)
    if unipc:
        from diffusers import UniPCMultistepScheduler

        scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    pipe: Any = WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler,
                       transformer=transformer)  # fmt: skip
    pipe.save_pretrained(folder)
    return folder


def save_tiny_wan22(folder: Path, seed: int = 0) -> Path:
    """A Wan 2.2 TI2V-shaped pipeline with random weights: the 48-channel residual VAE that
    patches 2×2 (16× spatial), a transformer over its latents, and ``expand_timesteps`` (the
    first frame's latent kept as given: how the same weights make video from an image)."""
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    text_encoder = _tiny_t5(tokenizer, umt5=True)
    vae = AutoencoderKLWan(base_dim=3, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                           latents_mean=[0.0] * 48, latents_std=[1.0] * 48, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           scale_factor_spatial=16, scale_factor_temporal=4,
                           temperal_downsample=[False, True, True])  # fmt: skip
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                        in_channels=48, out_channels=48, text_dim=32, freq_dim=256, ffn_dim=32,
                                        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=32)  # fmt: skip
    pipe: Any = WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
                            scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0), expand_timesteps=True)  # fmt: skip
    pipe.save_pretrained(folder)
    return folder


def save_tiny_wan_i2v(folder: Path, seed: int = 0) -> Path:
    """A Wan 2.1 image-to-video-shaped pipeline with random weights, saved to ``folder`` (the
    sizes of diffusers' own Wan image-to-video tests): a 2-layer CLIP vision encoder of width 4
    and its image processor built from settings, and a transformer that takes the start frame's
    latents (16 channels), its mask (4) beside the noise (16), and the image embedding."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    text_encoder = _tiny_t5(tokenizer, umt5=True)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])  # fmt: skip
    transformer = WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                        in_channels=36, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
                                        num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                        rope_max_seq_len=32, image_dim=4)  # fmt: skip
    image_encoder = CLIPVisionModel(CLIPVisionConfig(hidden_size=4, projection_dim=4, num_hidden_layers=2,
                                                     num_attention_heads=2, image_size=32, intermediate_size=16,
                                                     patch_size=1))  # fmt: skip
    image_processor = CLIPImageProcessor(crop_size=32, do_center_crop=True, do_normalize=True, do_resize=True,
                                         image_mean=[0.48145466, 0.4578275, 0.40821073],
                                         image_std=[0.26862954, 0.26130258, 0.27577711], resample=3,
                                         size=32)  # fmt: skip
    pipe: Any = WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae,
                                        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), transformer=transformer,
                                        image_encoder=image_encoder, image_processor=image_processor)  # fmt: skip
    pipe.save_pretrained(folder)
    return folder


def save_tiny_ltx(folder: Path, seed: int = 0) -> Path:
    """An LTX-Video-shaped text-to-video pipeline with random weights, saved to ``folder``
    (the sizes of diffusers' own LTX tests; the VAE's decoder shrunk too, or it is full size)."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    text_encoder = _tiny_t5(tokenizer, umt5=False)
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8, cross_attention_dim=32,
                                             num_layers=1, caption_channels=32)  # fmt: skip
    vae: Any = AutoencoderKLLTXVideo(latent_channels=8, block_out_channels=(8, 8, 8, 8),
                                decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
                                decoder_layers_per_block=(1, 1, 1, 1, 1),
                                spatio_temporal_scaling=(True, True, False, False),
                                decoder_spatio_temporal_scaling=(True, True, False, False), patch_size=1,
                                patch_size_t=1, encoder_causal=True, decoder_causal=False)  # fmt: skip
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    pipe: Any = LTXPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae,
                            scheduler=FlowMatchEulerDiscreteScheduler(), transformer=transformer)  # fmt: skip
    pipe.save_pretrained(folder)
    return folder


def save_tiny_modelscope(folder: Path, seed: int = 0) -> Path:
    """A ModelScope-shaped (``TextToVideoSDPipeline``: a 3-D UNet, a CLIP text encoder, the SD
    VAE) pipeline with random weights, saved to ``folder`` (the sizes of diffusers' own tests;
    the tokenizer is this module's word-level one, padded to 16 tokens)."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    tokenizer.model_max_length = 16  # the pipeline pads every prompt to this
    unet = UNet3DConditionModel(block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
                                out_channels=4, down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
                                up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"), cross_attention_dim=4,
                                attention_head_dim=4, norm_num_groups=2)  # fmt: skip
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False)  # fmt: skip
    vae = AutoencoderKL(block_out_channels=(8,), in_channels=3, out_channels=3, latent_channels=4, sample_size=32,
                        down_block_types=["DownEncoderBlock2D"], up_block_types=["UpDecoderBlock2D"],
                        norm_num_groups=2)  # fmt: skip
    text_encoder = CLIPTextModel(CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=0, hidden_size=4,
                                                intermediate_size=16, num_attention_heads=2, num_hidden_layers=2,
                                                vocab_size=len(tokenizer), max_position_embeddings=16,
                                                projection_dim=4))  # fmt: skip
    pipe: Any = TextToVideoSDPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                      scheduler=scheduler)  # fmt: skip
    pipe.save_pretrained(folder)
    return folder


def save_tiny_lora(pipeline: Path, folder: Path, seed: int = 1) -> Path:
    """A random rank-4 LoRA on the attention of a tiny pipeline's transformer (non-zero, so it
    changes what the pipeline makes), saved as diffusers saves LoRAs; returns the file."""
    import diffusers
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    pipe: Any = diffusers.DiffusionPipeline.from_pretrained(str(pipeline))
    torch.manual_seed(seed)
    pipe.transformer.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"],
                                            init_lora_weights=False))  # fmt: skip
    type(pipe).save_lora_weights(folder, transformer_lora_layers=get_peft_model_state_dict(pipe.transformer))
    return folder / "pytorch_lora_weights.safetensors"


def save_wan_shaped(folder: Path, device: str = "cuda", seed: int = 0) -> Path:
    """Wan 2.1 T2V 1.3B's transformer, VAE and scheduler at full size with random weights,
    and a 2-layer text encoder of the real width: the compute of every denoising step and of
    the VAE decode is the real model's, for timing where the weights cannot be downloaded.
    Nothing it makes is a picture."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    with torch.device(device):
        text_encoder: Any = UMT5EncoderModel(UMT5Config(vocab_size=len(tokenizer), d_model=4096, d_kv=64, d_ff=10240,
                                                   num_layers=2, num_heads=64))  # fmt: skip
        vae = AutoencoderKLWan()  # the released VAE's configuration is the default
        transformer: Any = WanTransformer3DModel(num_attention_heads=12, attention_head_dim=128, text_dim=4096,
                                            ffn_dim=8960, num_layers=30)  # fmt: skip
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    # saved in float32: from_pretrained(dtype=bfloat16) then keeps the layers Wan needs in float32
    pipe: Any = WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler,
                            transformer=transformer)  # fmt: skip
    pipe.save_pretrained(folder)
    return folder
