"""What the papers propose, one module a method, apart from the papers' presets
and plans (`minilab.papers`):

    base           what every stage does: load its task, save its model, its fit arguments
    pretraining    MLM pre-training of a BERT (Turc et al.'s "pre-training" step)
    finetuning     a pre-trained model fine-tuned on labels (teachers, PF)
    pretrained_distillation
                   Turc et al.'s students: basic / D / PF / PD from an initialisation
    distilbert     Sanh et al.'s triple loss, student from teacher layers, general distillation
    downstream     DistilBERT's task-time fine-tuning, with (D) distillation, and Table 3 timing
    xtremedistil   Mukherjee & Hassan Awadallah's BiLSTM students and stage-wise training

Each stage runner has the signature run(plan, rid, config, progress) -> rid;
`minilab.stages.RUNNERS` is the one table of them.
"""
