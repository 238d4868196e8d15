"""Banner and shop-link texts per language (#17.3): today's single text becomes the text
in the merchant's default language, so nothing a merchant wrote is lost."""

from django.db import migrations, models


def texts_into_default_language(apps, schema_editor):
    Branding = apps.get_model("postpurchase", "Branding")
    for branding in Branding.objects.select_related("merchant").iterator():
        default = branding.merchant.default_locale or "en"
        if branding.banner_message.strip():
            branding.banner_messages = {default: branding.banner_message.strip()}
        links = []
        for link in branding.shop_links or []:
            if isinstance(link, dict) and link.get("label") and "labels" not in link:
                link = {**link, "labels": {default: link["label"]}}
            links.append(link)
        branding.shop_links = links
        branding.save(update_fields=["banner_messages", "shop_links"])


def texts_back_to_one(apps, schema_editor):
    Branding = apps.get_model("postpurchase", "Branding")
    for branding in Branding.objects.select_related("merchant").iterator():
        texts = branding.banner_messages or {}
        default = branding.merchant.default_locale or "en"
        branding.banner_message = (texts.get(default) or next(iter(texts.values()), ""))[:200]
        branding.save(update_fields=["banner_message"])


class Migration(migrations.Migration):
    dependencies = [("postpurchase", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="branding",
            name="banner_messages",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(texts_into_default_language, texts_back_to_one),
        migrations.RemoveField(model_name="branding", name="banner_message"),
    ]
